/**
 * The Jupyter server's base URL as the hosting page knows it.
 *
 * JupyterLab and Notebook 7 both embed their config as JSON in
 * `<script id="jupyter-config-data">`; its `baseUrl` is `/` or, behind JupyterHub,
 * `/user/<name>/`. Anywhere else (VS Code, a static page) there is no Jupyter server
 * at the page's origin to stream from; "/" is then as good a guess as any.
 */
export function pageBaseUrl(doc: Document = document): string {
	const text = doc.getElementById("jupyter-config-data")?.textContent;
	if (text) {
		try {
			const config: unknown = JSON.parse(text);
			if (typeof config === "object" && config !== null && "baseUrl" in config) {
				const { baseUrl } = config as { baseUrl: unknown };
				if (typeof baseUrl === "string" && baseUrl)
					return baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
			}
		} catch {
			// A page that ships a broken config block: fall through to the default.
		}
	}
	return "/";
}
