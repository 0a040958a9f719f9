import Root from "./alert.svelte";
import Action from "./alert-action.svelte";
import Description from "./alert-description.svelte";
import Title from "./alert-title.svelte";

export { alertVariants, type AlertVariant } from "./alert.svelte";
export {
	Root,
	Action,
	Description,
	Title,
	Root as Alert,
	Action as AlertAction,
	Description as AlertDescription,
	Title as AlertTitle,
};
