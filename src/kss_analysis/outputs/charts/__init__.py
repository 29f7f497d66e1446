"""Charts: the standard chart specs, house style and layout, maps, footers and the export with sidecars."""
