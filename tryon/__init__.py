"""tryon: virtual try-on for online clothing stores.

Units everywhere: metres, radians, Z-up, right-handed; bodies face -Y and
stand on the plane z = 0.
"""

__version__ = "0.1.0"
