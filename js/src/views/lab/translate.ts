/**
 * JupyterLab's translator as the lab views call it: `__("Open %1", name)`, the
 * signature of `TranslationBundle.__` for the "jupyter_sse" domain.
 */
export type Translate = (text: string, ...args: (string | number)[]) => string;
