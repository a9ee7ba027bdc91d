"""The synthetic legacy archive generator (docs/decisions/0004): plans rows, renders files and
writes a manifest, a people file and the ground truth. Apart from workers/sources, which reads
real archives: nothing in the pipeline imports this package."""
