"""Record linkage of department feeds to registry persons (issue #6 part 3).

``link.link_tables`` is the pure, generic function (exact join on valid ID numbers,
Splink on DuckDB for the rest); ``config`` reads its YAML settings; ``cli`` is
``minzheng link``; ``services`` links ``FeedRecord`` rows and decides clerical pairs.
Nothing here imports Splink, DuckDB or Django until a function runs.
"""
