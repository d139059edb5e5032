"""Reference for BuildingBlocksTest: PyTorch's ConvTranspose2d(3, 2, kernel_size=2, stride=2, bias=False) on
a fixed input (run from the repo root: python3 ad-teacher-student/src/test/resources/deconv/make_reference.py).
Writes the weight in PyTorch's layout [in, out, 2, 2], the 1 x 3 x 2 x 3 input and the 1 x 2 x 4 x 6 output."""
import os

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(3)
deconv = torch.nn.ConvTranspose2d(3, 2, kernel_size=2, stride=2, bias=False)
x = torch.randn(1, 3, 2, 3)
with torch.no_grad():
    y = deconv(x)
np.save(os.path.join(here, "weight.npy"), deconv.weight.detach().numpy().astype(np.float32))
np.save(os.path.join(here, "input.npy"), x.numpy().astype(np.float32))
np.save(os.path.join(here, "expected.npy"), y.numpy().astype(np.float32))
print("weight", tuple(deconv.weight.shape), "output", tuple(y.shape))
