/**
 * JupyterLab's translator as the lab views call it: `__("Open %1", name)`, the
 * signature of `TranslationBundle.__` for the "jupyter_sse" domain. Without a bundle
 * (tests) the text is returned with its arguments put in.
 */
export type Translate = (text: string, ...args: (string | number)[]) => string;

export const untranslated: Translate = (text, ...args) =>
	args.reduce<string>((out, arg, i) => out.replaceAll(`%${i + 1}`, String(arg)), text);
