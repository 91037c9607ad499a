# A package, so that this folder's conftest is imported as ui.conftest and
# does not take the place of the module named "conftest" that tests/engine
# imports from (pytest's prepend import mode).
