# Critical points of the regularized loss of a deep linear network, widths [2, 2, 2, 2].
# Written by dln-regen: seed 2222, samples 1.
degrees = [[2, 2, 1], [2, 2, 1], [2, 2, 1], [2, 2, 1], [2, 1, 2], [2, 1, 2], [2, 1, 2], [2, 1, 2], [1, 2, 2], [1, 2, 2], [1, 2, 2], [1, 2, 2]]
targetDimensions = [[0, 0, 0]]
explorationOrder = "breadthFirst"
widths = [2, 2, 2, 2]
seed = 2222
samples = 1
verbose = 1
