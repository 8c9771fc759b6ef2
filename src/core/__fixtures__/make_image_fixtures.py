"""Tiny JPEGs that jpeg-js cannot encode, for the decoder tests (a few hundred bytes each).

Run with the system python (Pillow):  /usr/bin/python3 src/core/__fixtures__/make_image_fixtures.py
Each is 32x16: left half red (255,0,0), right half blue (0,0,255); the greyscale one is
left black, right white.
"""
import os

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def halves(mode, left, right):
    img = Image.new(mode, (32, 16), left)
    img.paste(right, (16, 0, 32, 16))
    return img


def main():
    rgb = halves("RGB", (255, 0, 0), (0, 0, 255))
    rgb.save(os.path.join(HERE, "progressive.jpg"), quality=90, progressive=True)
    # Pillow writes CMYK JPEGs the Adobe way (APP14 marker, inverted values), as Photoshop does.
    rgb.convert("CMYK").save(os.path.join(HERE, "cmyk.jpg"), quality=90)
    halves("L", 0, 255).save(os.path.join(HERE, "grey.jpg"), quality=90)


if __name__ == "__main__":
    main()
