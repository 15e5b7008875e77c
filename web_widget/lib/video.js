/**
 * The widget's video: a short try-on clip (GET /v1/video, a turntable or a
 * walk) shown on the stage instead of the pictures. The clip's job is
 * followed through its poster (GET /v1/video/poster: the same job makes
 * both, and a poster is not counted as a view of a twin), then a muted,
 * looping, inline <video> plays it while the stage is on screen. With
 * prefers-reduced-motion it never starts on its own: the poster shows with
 * a play button. Mixed into the widget's class
 * (``Object.assign(Widget.prototype, videoMethods)``): `this` is the widget.
 */
import { TryonError } from './api.js';
import { describeAvatar, isTwin } from './avatars.js';
import { hairParams } from './hair.js';
import { h, replace, show } from './dom.js';
import { heightFor, pickWidth } from './images.js';
import { BUSY_DELAY_MS } from './stage.js';

/** The motions a shopper can choose: the API's name and its label. */
export const VIDEO_MOTIONS = Object.freeze({ turntable: 'Turntable', walk: 'Walk' });
export const SECONDS = 4;
const FPS = 24;
/** Share of the stage that must be on screen for the clip to play. */
const VISIBLE_RATIO = 0.25;

/**
 * The clip's frame size for a stage `cssWidth` CSS pixels wide: the
 * smallest of the pictures' widths that covers it, at one device pixel per
 * CSS pixel (every frame is rendered), so that shoppers on similar screens
 * share one stored clip. Both sides even, as H.264 needs.
 * @param {number} cssWidth
 * @returns {{width: number, height: number}}
 */
export function videoSize(cssWidth) {
  const width = pickWidth(cssWidth, 1);
  return { width: even(width), height: even(heightFor(width)) };
}

/** @param {number} n @returns {number} the nearest even integer */
const even = (n) => 2 * Math.round(n / 2);

/**
 * The query of a clip, and of its poster, for what the stage shows.
 * @param {{avatar: {id: string, kind?: string}, garment: {id: string}, size: string,
 *   colorway: string|null, motion: string, hair?: {style: string, colour: string}}} shown the widget's state
 * @param {{width: number, height: number}} frame from `videoSize`
 * @param {string|null} [background] 'R,G,B'; null: the API's white
 * @returns {Record<string, string|number|null>}
 */
export function videoQuery({ avatar, garment, size, colorway, motion, hair }, { width, height }, background = null) {
  return {
    avatar: avatar.id, garment: garment.id, size, colorway, motion, seconds: SECONDS, fps: FPS,
    width, height, format: 'mp4', background,
    // as the pictures: a twin's clip carries the widget's own badge
    label: isTwin(avatar) ? 0 : null,
    ...hairParams(hair, avatar),
  };
}

/**
 * What the busy indicator says while a clip's job runs: the share of its
 * frames made, in tens (the drape before the first frame shows none).
 * @param {{progress?: {done: number, total: number}}|null} job
 * @returns {string}
 */
export function progressText(job) {
  const { done = 0, total = 0 } = job?.progress ?? {};
  if (total <= 1 || done <= 0) return 'Making the video\u2026';
  return `Making the video\u2026 ${Math.floor((10 * Math.min(done, total)) / total) * 10} %`;
}

/**
 * An opaque computed colour as the API's 'R,G,B' background; null for
 * anything else (a translucent colour), which leaves the API's white.
 * @param {string} colour e.g. getComputedStyle(el).backgroundColor, 'rgb(243, 238, 231)'
 * @returns {string|null}
 */
export function backgroundParam(colour) {
  const match = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(colour);
  return match ? match.slice(1).join(',') : null;
}

/** @returns {boolean} whether the shopper asked for less motion */
export const reducedMotion = () => globalThis.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;

export const videoMethods = {
  /**
   * Make the "Play video" button, the motion choice and the play/pause
   * button over the clip (placed on the stage by the widget).
   * @returns {HTMLElement} the controls for the tools row
   */
  buildVideoControls() {
    this.btnVideo = h('button', { class: 'btn', type: 'button', text: 'Play video',
      onclick: () => this.toggleVideo() });
    const motions = h('select', { 'aria-label': 'Video motion', onchange: (e) => this.setMotion(e.target.value) },
      Object.entries(VIDEO_MOTIONS).map(([value, text]) => h('option', { value, text })));
    this.playPause = h('button', { class: 'play-pause', type: 'button', hidden: true,
      onclick: () => this.togglePlayback() });
    return h('span', { class: 'video-tools' }, this.btnVideo, motions); // they wrap together
  },

  /** The "Play video" button: show the clip, or go back to the pictures. */
  toggleVideo() {
    if (this.state.mode !== 'video') {
      this.openVideo();
      return;
    }
    this.closeVideo();
    this.drawRenders();
  },

  /** @param {string} motion a key of VIDEO_MOTIONS */
  setMotion(motion) {
    this.state.motion = motion;
    if (this.state.mode === 'video') this.openVideo();
    if (this.state.mode === '3d') this.reopen3d(); // the 3D view walks too
  },

  /** Follow the clip's job (with its progress), then show it on the stage. */
  async openVideo() {
    const s = this.state;
    if (s.mode === '3d') this.toggle3d();
    this.closeVideo(); // another motion's clip
    s.mode = 'video';
    this.renderRun?.abort();
    const run = (this.videoRun = new AbortController());
    this.btnVideo.textContent = 'Back to pictures';
    this.viewName.textContent = VIDEO_MOTIONS[s.motion]; // where the view's name was: a turn goes back to it
    show(this.error, false);
    const query = videoQuery(s, videoSize(this.stage.getBoundingClientRect().width || 320),
      backgroundParam(getComputedStyle(this.stage).backgroundColor));
    const poster = this.client.url('/v1/video/poster', query);
    const busy = (job) => { if (!run.signal.aborted) this.setBusy(true, progressText(job)); };
    const timer = setTimeout(() => busy(null), BUSY_DELAY_MS);
    try {
      const response = await this.client.ready(poster, { signal: run.signal, onWait: busy });
      await response.arrayBuffer(); // read whole: the browser cache answers the <video>'s poster
    } catch (error) {
      if (run.signal.aborted) return;
      this.setBusy(false);
      this.fail(error, () => this.openVideo(), 'this video');
      return;
    } finally {
      clearTimeout(timer);
    }
    if (run.signal.aborted) return;
    this.setBusy(false);
    this.showClip(this.client.url('/v1/video', query), poster);
  },

  /**
   * Put the clip on the stage; it plays while a quarter of the stage is on
   * screen and the shopper has not paused it.
   * @param {string} src the video's URL
   * @param {string} poster its poster's URL (loaded already)
   */
  showClip(src, poster) {
    const video = h('video', {
      // the property (autoplay needs it) and the attribute (defaultMuted)
      muted: true, defaultMuted: true, loop: true, playsinline: true, preload: 'auto',
      crossorigin: 'anonymous', // as the poster's fetch, so the browser cache answers it
      poster, src, 'aria-label': this.clipLabel(),
      onerror: () => this.clipFailed(video),
    });
    const clip = { video, visible: false, wanted: !reducedMotion(), observer: null };
    clip.observer = new IntersectionObserver((entries) => {
      clip.visible = entries.at(-1).intersectionRatio >= VISIBLE_RATIO; // the latest
      if (!clip.visible && reducedMotion()) clip.wanted = false; // back in view, it waits for a press
      this.syncPlayback();
    }, { threshold: VISIBLE_RATIO });
    this.clip = clip;
    this.stage.classList.remove('compare');
    replace(this.stage, video);
    clip.observer.observe(this.stage);
    show(this.playPause, true);
    this.syncPlayback();
  },

  /** @returns {string} what the clip shows, for screen readers */
  clipLabel() {
    const s = this.state;
    return `${s.garment.name}${s.colorway ? ` in ${this.colorwayLabel()}` : ''}, size ${s.size}, `
      + `on a body: ${describeAvatar(s.avatar)}; ${VIDEO_MOTIONS[s.motion].toLowerCase()} video. `
      + `Computer-generated video${isTwin(s.avatar) ? ' of a real model\u2019s digital twin' : ''}.`;
  },

  /** Play the clip if it is in view and wanted, else pause it; the button follows. */
  syncPlayback() {
    const clip = this.clip;
    if (!clip) return;
    if (clip.visible && clip.wanted) {
      clip.video.play().catch((error) => {
        if (error.name !== 'NotAllowedError' || this.clip !== clip) return; // paused or closed meanwhile
        clip.wanted = false; // the browser would not start it (a power saver): the shopper presses play
        this.drawPlayPause();
      });
    } else {
      clip.video.pause();
    }
    this.drawPlayPause();
  },

  /** The play/pause button over the clip: its label and look follow what the shopper wants. */
  drawPlayPause() {
    const playing = Boolean(this.clip?.wanted);
    this.playPause.classList.toggle('playing', playing);
    this.playPause.setAttribute('aria-label', playing ? 'Pause the video' : 'Play the video');
  },

  togglePlayback() {
    if (!this.clip) return;
    this.clip.wanted = !this.clip.wanted;
    this.syncPlayback();
  },

  /** @param {HTMLVideoElement} video */
  clipFailed(video) {
    if (this.clip?.video !== video) return; // a clip closed since
    show(this.playPause, false);
    const { code = 0, message = '' } = video.error ?? {};
    this.fail(new TryonError('server', `the video did not play: MediaError ${code} ${message}`),
      () => this.openVideo(), 'this video');
  },

  /** Stop the clip and its job's polling; the stage keeps the poster until the pictures replace it. */
  closeVideo() {
    this.videoRun?.abort();
    this.videoRun = null;
    if (this.clip) {
      this.clip.observer.disconnect();
      this.clip.video.pause();
      this.clip.video.removeAttribute('src');
      this.clip.video.load(); // ends its download
      this.clip = null;
    }
    show(this.playPause, false);
    this.btnVideo.textContent = 'Play video';
    if (this.state.mode === 'video') {
      this.state.mode = 'photos';
      this.setBusy(false);
    }
  },
};
