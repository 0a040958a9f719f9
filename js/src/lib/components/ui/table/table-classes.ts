// The table's class recipes, shared by the components and by views that render many
// rows as plain elements (a live table replaces its rows ten times a second, and a
// component per cell costs more than the cell).
export const tableRowClass =
	"border-b border-border transition-colors hover:bg-muted/50 data-[state=selected]:bg-muted";
export const tableHeadClass =
	"h-9 whitespace-nowrap bg-clip-padding px-2 text-left align-middle font-medium text-foreground";
export const tableCellClass = "whitespace-nowrap bg-clip-padding p-2 align-middle";
