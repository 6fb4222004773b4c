"""Records tf1.json with TF 2.21 compat.v1 (run with /tmp/tfenv/bin/python from tests/data/image_windows):
each case of image_window_cases.py with its static shape, value and the gradient of loss_of, the error class of
the BAD feeds, and resize_area / resize_images(method=AREA)."""
import json

import numpy as np
import tensorflow as tf

from image_window_cases import AREA_SIZES, BAD, CASES, IMG, build, image_for, loss_of

tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1

if __name__ == "__main__":
    out = {"IMG": IMG.tolist(), "cases": {}, "area": {}, "bad": {}}
    for name, (_, _, _, args) in CASES.items():
        v1.reset_default_graph()
        x, fed, y = build(v1, name)
        g, = tf.gradients(loss_of(v1, y), x)
        feeds = dict(zip(fed, [a[1] for a in args if isinstance(a, tuple)]))
        feeds[x] = image_for(name)
        with v1.Session() as s:
            yv, gv = s.run([y, g], feeds)
        out["cases"][name] = {"shape": y.shape.as_list() if y.shape.ndims is not None else None,
                              "y": yv.tolist(), "grad": gv.tolist()}
        if name in BAD:
            feeds.update(zip(fed, BAD[name]))
            try:
                with v1.Session() as s:
                    s.run(y, feeds)
                out["bad"][name] = None
            except tf.errors.OpError as e:
                out["bad"][name] = type(e).__name__
    with v1.Session() as s:
        for h, w, align in AREA_SIZES:
            y = v1.image.resize_area(IMG, [h, w], align_corners=align)
            out["area"][f"{h}x{w}{'_align' if align else ''}"] = s.run(y).tolist()
        u8 = (IMG[0] * 255).astype(np.uint8)
        y = v1.image.resize_images(u8, [3, 4], method=v1.image.ResizeMethod.AREA)
        out["area_u8_resize_images"] = {"dtype": y.dtype.name, "y": s.run(y).tolist()}
    json.dump(out, open("tf1.json", "w"))
    print(len(out["cases"]), out["bad"])
