/**
 * The widget's fit report: asked for each body and size (a 202 job followed),
 * shown as a verdict per region with advice, and the recommended size offered
 * as a button. Mixed into the widget's class like ``stage.js``: `this` is the
 * widget.
 */
import { h, replace } from './dom.js';
import { describeError } from './errors.js';
import { summarizeFit } from './fit.js';

export const fitReportMethods = {
  async loadFit() {
    const s = this.state;
    this.fitRun?.abort();
    const run = (this.fitRun = new AbortController());
    this.fit.setAttribute('aria-busy', 'true');
    replace(this.fit, h('h3', { text: `How size ${s.size} fits` }), h('p', { class: 'muted', text: 'Checking the fit\u2026' }));
    try {
      const report = await this.client.getJSON('/v1/fit',
        { avatar: s.avatar.id, garment: s.garment.id, size: s.size },
        { signal: run.signal, onPending: (body) => this.drawEarlyAdvice(body, run.signal) });
      if (run.signal.aborted) return;
      s.report = report;
      this.drawFit(report);
      this.drawSizes();
      this.emit('tryon:recommendation', {
        garment: s.garment.id, avatar: s.avatar.id, size: report.size,
        recommendedSize: report.recommended_size, advice: report.advice, regions: report.regions,
        // the store quotes it with the size bought: POST /v1/fit/outcomes (its match rate)
        recommendationId: report.recommendation?.id ?? null,
        alternativeSize: report.recommendation?.alternative_size ?? null,
      });
    } catch (error) {
      if (run.signal.aborted) return;
      const text = describeError(error, { origin: location.origin, what: 'the fit for this body' });
      replace(this.fit, h('h3', { text: `How size ${s.size} fits` }),
        h('p', { role: 'alert' }, h('strong', { text: `${text.title}. ` }), text.message),
        text.retry ? h('button', { class: 'btn', type: 'button', text: 'Try again', onclick: () => this.loadFit() }) : null);
    } finally {
      if (!run.signal.aborted) this.fit.setAttribute('aria-busy', 'false');
    }
  },

  /** While every size's drape runs: the size chart's answer, said to be the chart's. */
  drawEarlyAdvice(body, signal) {
    const advice = body?.recommendation;
    if (signal.aborted || !advice?.recommended_size) return;
    replace(this.fit, h('h3', { text: `How size ${this.state.size} fits` }),
      h('p', { class: 'advice', text: `From the size chart: ${advice.summary}.` }),
      h('p', { class: 'muted', text: 'Checking every size on this body\u2026' }));
  },

  drawFit(report) {
    const s = this.state;
    const fit = summarizeFit(report);
    const action = fit.recommended && !fit.fitsAsIs
      ? h('button', { class: 'btn primary', type: 'button', text: `Show size ${fit.recommended}`,
        onclick: () => {
          this.setSize(fit.recommended);
          this.sizes.querySelector('input:checked')?.focus(); // this button goes away: keep focus nearby
        } })
      : null;
    replace(this.fit,
      h('h3', { text: `How size ${report.size} fits this body` }),
      h('ul', { class: 'regions' }, fit.rows.map((row) => h('li', null,
        h('span', { text: row.label }),
        h('span', { class: `chip ${row.verdict}`, text: row.verdictLabel }),
        h('span', { class: 'muted', text: row.note })))),
      // the advice names the recommended size: one recommendation, whatever size is shown
      h('p', { class: 'advice', text: fit.advice }),
      action);
  },
};
