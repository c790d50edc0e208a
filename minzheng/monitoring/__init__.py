"""Dynamic monitoring (低收入人口动态监测): department feeds, linkage, warnings."""
