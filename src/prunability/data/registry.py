from prunability.registry import Registry

# name -> loader(DatasetConfig) -> ImageSplit
DATASETS = Registry("dataset")
