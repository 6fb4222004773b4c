"""Records tests/data/tf1_image.json with TF 2.21 compat.v1 (run with /tmp/tfenv/bin/python from tests/data):
the resize ops under each align_corners/half_pixel_centers convention with their gradients, and the
tf.image compositions graphc implements."""
import json
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()
v1 = tf.compat.v1
rs = np.random.RandomState(3)
IMG = rs.uniform(0, 1, (1, 4, 5, 2)).astype(np.float32)
GW = {}
out = {"IMG": IMG.tolist()}
OPS = {"bilinear": v1.image.resize_bilinear, "nearest": v1.image.resize_nearest_neighbor,
       "bicubic": v1.image.resize_bicubic}
SIZES = [(7, 3), (2, 8), (4, 5), (1, 1), (9, 11)]
MODES = {"legacy": (False, False), "align": (True, False), "half": (False, True)}
with v1.Session() as s:
    x = tf.constant(IMG)
    for name, fn in OPS.items():
        for size in SIZES:
            for mode, (ac, hp) in MODES.items():
                y = fn(x, size, align_corners=ac, half_pixel_centers=hp)
                w = tf.constant(rs.uniform(-1, 1, (1, size[0], size[1], 2)).astype(np.float32))
                g, = tf.gradients(tf.reduce_sum(y * w), x)
                yv, gv, wv = s.run([y, g, w])
                out[f"{name}|{size[0]}x{size[1]}|{mode}"] = dict(y=yv.tolist(), grad=gv.tolist(), w=wv.tolist())
    u8 = (IMG[0] * 255).astype(np.uint8)
    out["u8"] = u8.tolist()
    out["resize_images_u8_bilinear"] = s.run(v1.image.resize_images(u8, [6, 7])).tolist()
    out["resize_images_u8_nearest"] = s.run(v1.image.resize_images(u8, [6, 7], method=1)).tolist()
    out["resize_images_u8_same"] = str(v1.image.resize_images(u8, [4, 5]).dtype.name)
    img3 = IMG[0]
    out["per_image_standardization"] = s.run(v1.image.per_image_standardization(img3)).tolist()
    out["rgb_to_grayscale"] = s.run(v1.image.rgb_to_grayscale(rs.uniform(0, 1, (2, 3, 3)).astype(np.float32) if False else
                                                            tf.constant(IMG[0, :, :, :1].repeat(3, -1) * [[[1.0, 0.5, 0.2]]],
                                                                        tf.float32))).tolist()
    out["adjust_contrast"] = s.run(v1.image.adjust_contrast(img3, 1.7)).tolist()
    out["adjust_brightness"] = s.run(v1.image.adjust_brightness(img3, 0.3)).tolist()
    out["convert_u8_to_f32"] = s.run(v1.image.convert_image_dtype(u8, tf.float32)).tolist()
    out["convert_f32_to_u8"] = s.run(v1.image.convert_image_dtype(img3 * 1.2 - 0.1, tf.uint8, saturate=True)).tolist()
    out["convert_f32_to_u8_nosat"] = s.run(v1.image.convert_image_dtype(img3 * 0.9, tf.uint8)).tolist()
    out["convert_u8_to_i32"] = s.run(v1.image.convert_image_dtype(u8, tf.int32)).tolist()
    out["convert_i32_to_u8"] = s.run(v1.image.convert_image_dtype(tf.constant([[[2 ** 30, 2 ** 24 + 5]]], tf.int32),
                                                                  tf.uint8)).tolist()
    rgb = rs.uniform(0, 1, (3, 4, 3)).astype(np.float32)
    out["RGB"] = rgb.tolist()
    out["rgb_to_hsv"] = s.run(v1.image.rgb_to_hsv(rgb)).tolist()
    out["hsv_to_rgb"] = s.run(v1.image.hsv_to_rgb(rgb)).tolist()
    out["adjust_saturation"] = s.run(v1.image.adjust_saturation(rgb, 1.6)).tolist()
    out["adjust_hue"] = s.run(v1.image.adjust_hue(rgb, 0.3)).tolist()
    out["resize_with_crop_or_pad"] = s.run(v1.image.resize_image_with_crop_or_pad(IMG, 3, 8)).tolist()
    out["central_crop"] = s.run(v1.image.central_crop(IMG[0], 0.5)).tolist()
    out["pad_to_bounding_box"] = s.run(v1.image.pad_to_bounding_box(IMG, 1, 2, 6, 8)).tolist()
    out["crop_to_bounding_box"] = s.run(v1.image.crop_to_bounding_box(IMG, 1, 2, 2, 3)).tolist()
    out["adjust_gamma"] = s.run(v1.image.adjust_gamma(img3, 2.0, 1.5)).tolist()
    import base64
    png = s.run(v1.image.encode_png(u8))
    jpg = s.run(v1.image.encode_jpeg(np.repeat(np.repeat(u8[:, :, :1], 4, 0), 4, 1).repeat(3, -1)))
    out["png_b64"] = base64.b64encode(png).decode()
    out["jpeg_b64"] = base64.b64encode(jpg).decode()
    out["jpeg_decoded"] = s.run(v1.image.decode_jpeg(jpg)).tolist()
    out["jpeg_decoded_accurate"] = s.run(v1.image.decode_jpeg(jpg, dct_method="INTEGER_ACCURATE")).tolist()
    out["png_decoded_gray"] = s.run(v1.image.decode_png(png, channels=1)).tolist()
json.dump(out, open("tf1_image.json", "w"))
print(len(out))
