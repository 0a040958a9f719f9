// The dashboard runs in the browser only: the Jupyter server writes its page (with the
// config inline) and every route is the same SPA page, so nothing is rendered ahead.
export const ssr = false;
export const prerender = false;
