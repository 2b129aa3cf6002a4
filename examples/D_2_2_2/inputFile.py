# Critical points of the regularized loss of a deep linear network, widths [2, 2, 2].
# Written by dln-regen: seed 222, samples 1.
degrees = [[2, 1], [2, 1], [2, 1], [2, 1], [1, 2], [1, 2], [1, 2], [1, 2]]
targetDimensions = [[0, 0]]
explorationOrder = "breadthFirst"
widths = [2, 2, 2]
seed = 222
samples = 1
verbose = 1
