"""Official statistics: the indicator catalogue (MCA form JBZH0001) and immutable snapshots."""
