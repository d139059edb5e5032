"""Reference numbers for MkdTorchScriptSourceTest, computed by PyTorch's autograd (run from the repo root):

    python3 ad-teacher-student/src/test/resources/backbones/make_mkd_reference.py

For a fixed input x in [0, 1] (2 x 3 x 32 x 32, seed 7), the tiny VGG source's maps f_l(x) are compared with
fixed targets t_l = 0.5 * f_l(x) + 0.1 (computed once, no gradient) by MKD's per-sample loss
sum_l [1 - cos(flat f_l, flat t_l) + 0.5 * mean((f_l - t_l)^2)]; writes x, the two losses and the gradient
of their sum with respect to x. Also writes the fixture's convolution weights and biases, flattened and
concatenated in module order (conv weight [out, in, 3, 3], then bias), for the built-in VGG-16's parity test.
"""
import os

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
model = torch.jit.load(os.path.join(here, "tiny_vgg16.pt"))
g = torch.Generator().manual_seed(7)
x = torch.rand(2, 3, 32, 32, generator=g)
with torch.no_grad():
    targets = [0.5 * f + 0.1 for f in model(x)]
x.requires_grad_(True)
loss = torch.zeros(2)
for f, t in zip(model(x), targets):
    a, b = f.reshape(2, -1), t.reshape(2, -1)
    loss = loss + 1 - torch.nn.functional.cosine_similarity(a, b, dim=1) + 0.5 * ((a - b) ** 2).mean(dim=1)
loss.sum().backward()
np.save(os.path.join(here, "mkd_input.npy"), x.detach().numpy().astype(np.float32))
np.save(os.path.join(here, "mkd_expected_loss.npy"), loss.detach().numpy().astype(np.float32))
np.save(os.path.join(here, "mkd_expected_grad.npy"), x.grad.numpy().astype(np.float32))
params = [t.detach().reshape(-1) for name, t in model.named_parameters()]
np.save(os.path.join(here, "tiny_vgg16_params.npy"), torch.cat(params).numpy().astype(np.float32))
print("losses", loss.detach().numpy(), "gradient norm", float(x.grad.norm()))
