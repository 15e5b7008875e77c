/**
 * What a shopper reads when something goes wrong: a short sentence, what
 * they can do, and (smaller) a line for the store's developer.
 */

/**
 * A message for an error from the API client (or anything thrown).
 * @param {any} error a TryonError (kind, status, detail, field) or another Error
 * @param {{origin?: string, what?: string}} [context] the page's origin; what was being loaded
 * @returns {{title: string, message: string, retry: boolean, developer: string}}
 */
export function describeError(error, { origin = '', what = 'the try-on' } = {}) {
  const detail = error?.detail || error?.message || String(error);
  switch (error?.kind) {
    case 'offline':
      return { title: 'Can\u2019t reach the try-on service',
        message: 'Check your connection, then try again.', retry: true, developer: detail };
    case 'refused':
      return { title: 'Try-on isn\u2019t available on this site',
        message: 'The store has not enabled virtual try-on for this web address.', retry: false,
        developer: `The publishable key does not allow ${origin || 'this origin'} (or is wrong or revoked): `
          + `add the origin with \`tryon keys create --role publishable --origin ${origin || 'ORIGIN'}\`.` };
    case 'unauthorized':
      return { title: 'Try-on isn\u2019t set up correctly',
        message: 'The store\u2019s try-on key is not valid.', retry: false, developer: detail };
    case 'forbidden':
      return { title: 'Not available here',
        message: `This store may not show ${what}. Pick another body.`, retry: false, developer: detail };
    case 'gone':
      return { title: 'No longer available',
        message: 'This body was withdrawn by the person it belongs to. Pick another body.', retry: false,
        developer: detail };
    case 'not-found':
      return { title: 'Not available for try-on',
        message: `We couldn\u2019t find ${what}.`, retry: false, developer: detail };
    case 'invalid':
      return { title: 'That didn\u2019t work', message: detail, retry: false, developer: detail };
    case 'busy':
      return { title: 'Lots of shoppers right now',
        message: 'Please wait a few seconds and try again.', retry: true, developer: detail };
    case 'timeout':
      return { title: 'This is taking longer than usual',
        message: 'The picture is still being made. Try again in a moment.', retry: true, developer: detail };
    case 'failed':
      return { title: 'We couldn\u2019t make this picture',
        message: 'Something went wrong while dressing the body. Try again, or pick another size or body.',
        retry: true, developer: detail };
    default:
      return { title: 'Something went wrong', message: 'Please try again.', retry: true, developer: detail };
  }
}
