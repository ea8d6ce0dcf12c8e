"""`fake bench`: fakenet's speed and footprint, each figure beside its nearest physical limit."""
