// Placeholder translation unit; remove once the module has real sources.
