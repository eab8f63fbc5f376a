"""Config for Perch: YAML with positions, a dataclass-driven schema, and the appliance file's sections.

``yamlfile``, ``errors``, ``units`` and ``schema`` are generic (no agent imports) so other components
can validate their own sections with them; ``appliance``, ``loader`` and ``manual`` are the agents'.
"""
