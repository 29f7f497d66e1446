"""Notebook helpers: loaders, sentences written from the data, and the runner that executes notebooks."""
