"""The names of the built-in motions, importable without torch (the API checks requests with them)."""

TURNTABLE = "turntable"  # the body stands still in the A-pose while the camera goes round
GAIT_MOTIONS = ("walk", "catwalk", "sway", "turn")  # avatars.motion.gait
MOTIONS = (TURNTABLE, *GAIT_MOTIONS)
