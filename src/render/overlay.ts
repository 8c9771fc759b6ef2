/**
 * The three.js overlay: both images, match lines and keypoints, heatmaps, the inspect markers and
 * the homography-warped A over B. Fed plain arrays; knows nothing of the store or React.
 *
 * Figure units: x right, y down (like pixels); the scene uses (x, -y). Lines for all M matches are
 * uploaded once in sorted order, so showing the top K is only a draw range: no re-upload.
 */
import * as THREE from 'three';
import { LineSegments2 } from 'three/examples/jsm/lines/LineSegments2.js';
import { LineSegmentsGeometry } from 'three/examples/jsm/lines/LineSegmentsGeometry.js';
import { LineMaterial } from 'three/examples/jsm/lines/LineMaterial.js';
import type { Slot } from '../core/types';
import { figureLayout, figurePositions, type FigureLayout, type Size } from './layout';


export interface OverlayImage extends Size {
  bitmap: ImageBitmap | null;
}

export interface HeatGrid {
  /** RGBA bytes, gridWidth x gridHeight, row 0 at the top of the image. */
  rgba: Uint8Array;
  width: number;
  height: number;
}

const LINE_OPACITY = 0.85;

function imagePlane(): THREE.PlaneGeometry {
  const g = new THREE.PlaneGeometry(1, 1);
  // Textures here are uploaded top row first (ImageBitmap cannot be flipped on upload): flip v.
  const uv = g.attributes.uv as THREE.BufferAttribute;
  for (let i = 0; i < uv.count; i++) uv.setY(i, 1 - uv.getY(i));
  return g;
}

const WARP_VERTEX = /* glsl */ `
  varying vec2 vUv;
  void main() { vUv = uv; gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0); }
`;
// For each pixel of B (original pixels), look up A at H^-1 pB.
const WARP_FRAGMENT = /* glsl */ `
  uniform sampler2D mapA;
  uniform mat3 hInv;
  uniform vec2 sizeA;
  uniform vec2 sizeB;
  uniform float opacity;
  varying vec2 vUv;
  void main() {
    vec3 pB = vec3(vUv * sizeB - 0.5, 1.0);
    vec3 pA = hInv * pB;
    if (abs(pA.z) < 1e-9) discard;
    vec2 uvA = (pA.xy / pA.z + 0.5) / sizeA;
    if (uvA.x < 0.0 || uvA.y < 0.0 || uvA.x > 1.0 || uvA.y > 1.0) discard;
    gl_FragColor = vec4(texture2D(mapA, uvA).rgb, opacity);
  }
`;

let software: boolean | null = null;

/** True when WebGL runs on a CPU rasteriser (SwiftShader, llvmpipe): headless browsers, VMs. */
function softwareGl(): boolean {
  if (software === null) {
    try {
      const gl = document.createElement('canvas').getContext('webgl2');
      const ext = gl?.getExtension('WEBGL_debug_renderer_info');
      const name = gl && ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : '';
      software = /swiftshader|llvmpipe|software|softpipe/i.test(name);
      gl?.getExtension('WEBGL_lose_context')?.loseContext();
    } catch {
      software = false;
    }
  }
  return software;
}

export class MatchOverlay {
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.OrthographicCamera(0, 1, 0, -1, -10, 10);
  private layout: FigureLayout | null = null;
  private sizes: Record<Slot, Size | null> = { A: null, B: null };
  private readonly photos: Record<Slot, THREE.Mesh<THREE.PlaneGeometry, THREE.MeshBasicMaterial>>;
  private readonly heat: Record<Slot, THREE.Mesh<THREE.PlaneGeometry, THREE.MeshBasicMaterial>>;
  private readonly warp: THREE.Mesh<THREE.PlaneGeometry, THREE.ShaderMaterial>;
  /** Screen-space wide lines (WebGL lines are 1 px everywhere): one instance per match. */
  private readonly lines: LineSegments2;
  private readonly points: THREE.Points<THREE.BufferGeometry, THREE.PointsMaterial>;
  private readonly marks: THREE.Points<THREE.BufferGeometry, THREE.PointsMaterial>;
  private readonly markLine: THREE.LineSegments<THREE.BufferGeometry, THREE.LineBasicMaterial>;
  /** Rings (the attention view's peaks): a dark outline under a white ring, wide screen-space lines. */
  private readonly rings: [LineSegments2, LineSegments2];
  private ringSpecs: Array<{ slot: Slot; xy: [number, number]; radius: number }> = [];
  private pairs: Float32Array = new Float32Array(0);
  private count = 0;
  private linesWanted = true;
  private homography: number[] | null = null;
  private view = { cx: 0, cy: 0, zoom: 1, fitted: true };
  private frame = 0;
  /** Called after each drawn frame (the benchmark measures slider → this). */
  onFrame: (() => void) | null = null;
  /** Called when the camera moves (pan, zoom, fit, resize): `linkViews` mirrors it. */
  onView: (() => void) | null = null;

  constructor(readonly canvas: HTMLCanvasElement) {
    // MSAA keeps thin lines smooth; on a software rasteriser it only costs frame time.
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: !softwareGl(), alpha: true, preserveDrawingBuffer: false });
    this.renderer.setPixelRatio(Math.min(2, globalThis.devicePixelRatio || 1));
    this.renderer.setClearColor(0x000000, 0);
    const mkPlane = (z: number, transparent: boolean) => {
      const m = new THREE.Mesh(imagePlane(), new THREE.MeshBasicMaterial({ transparent, depthTest: false, depthWrite: false }));
      m.position.z = z;
      m.visible = false;
      m.renderOrder = z * 10;
      this.scene.add(m);
      return m;
    };
    this.photos = { A: mkPlane(0, false), B: mkPlane(0, false) };
    this.heat = { A: mkPlane(1, true), B: mkPlane(1, true) };
    this.warp = new THREE.Mesh(
      imagePlane(),
      new THREE.ShaderMaterial({
        vertexShader: WARP_VERTEX,
        fragmentShader: WARP_FRAGMENT,
        transparent: true,
        depthTest: false,
        uniforms: {
          mapA: { value: null },
          hInv: { value: new THREE.Matrix3() },
          sizeA: { value: new THREE.Vector2(1, 1) },
          sizeB: { value: new THREE.Vector2(1, 1) },
          opacity: { value: 0 },
        },
      }),
    );
    this.warp.visible = false;
    this.warp.renderOrder = 15;
    this.scene.add(this.warp);

    this.lines = new LineSegments2(
      new LineSegmentsGeometry(),
      new LineMaterial({ vertexColors: true, transparent: true, opacity: LINE_OPACITY, linewidth: 1.5, depthTest: false, worldUnits: false }),
    );
    this.lines.renderOrder = 20;
    this.lines.frustumCulled = false;
    this.lines.visible = false;
    this.scene.add(this.lines);
    // Keypoints: the two ends of each line.
    this.points = new THREE.Points(new THREE.BufferGeometry(), new THREE.PointsMaterial({ size: 4, sizeAttenuation: false, vertexColors: true, depthTest: false }));
    this.points.renderOrder = 21;
    this.points.frustumCulled = false;
    this.scene.add(this.points);

    this.marks = new THREE.Points(new THREE.BufferGeometry(), new THREE.PointsMaterial({ size: 11, sizeAttenuation: false, color: 0xffffff, depthTest: false }));
    this.marks.renderOrder = 30;
    this.marks.frustumCulled = false;
    this.scene.add(this.marks);
    this.markLine = new THREE.LineSegments(new THREE.BufferGeometry(), new THREE.LineBasicMaterial({ color: 0xffffff, depthTest: false }));
    this.markLine.renderOrder = 29;
    this.markLine.frustumCulled = false;
    this.scene.add(this.markLine);
    const ring = (color: number, width: number, order: number) => {
      const r = new LineSegments2(new LineSegmentsGeometry(), new LineMaterial({ color, linewidth: width, depthTest: false, worldUnits: false, transparent: true }));
      r.renderOrder = order;
      r.frustumCulled = false;
      r.visible = false;
      this.scene.add(r);
      return r;
    };
    this.rings = [ring(0x000000, 5, 31), ring(0xffffff, 2.5, 32)];
  }

  /** Rings around points (original pixels of their image, radius in those pixels); [] hides them. */
  setRings(rings: Array<{ slot: Slot; xy: [number, number]; radius: number }>): void {
    this.ringSpecs = rings;
    this.uploadRings();
  }

  private uploadRings(): void {
    const SEGMENTS = 40;
    const pos: number[] = [];
    for (const r of this.ringSpecs) {
      const c = this.toFigure(r.slot, r.xy);
      const p = this.layout ? (r.slot === 'A' ? this.layout.a : this.layout.b) : null;
      if (!c || !p) continue;
      const rad = r.radius * p.scale;
      for (let i = 0; i < SEGMENTS; i++) {
        const t0 = (2 * Math.PI * i) / SEGMENTS;
        const t1 = (2 * Math.PI * (i + 1)) / SEGMENTS;
        pos.push(c[0] + rad * Math.cos(t0), -(c[1] + rad * Math.sin(t0)), 0, c[0] + rad * Math.cos(t1), -(c[1] + rad * Math.sin(t1)), 0);
      }
    }
    for (const ring of this.rings) {
      // An empty instanced geometry has no bounds: hide instead.
      if (pos.length > 0) ring.geometry.setPositions(pos);
      ring.visible = pos.length > 0;
    }
    this.invalidate();
  }

  /** Both images and the layout. Keeps the view unless the figure's size changed. */
  setImages(a: OverlayImage | null, b: OverlayImage | null, mode: 'side' | 'stacked'): void {
    for (const [slot, img] of [['A', a], ['B', b]] as const) {
      const mesh = this.photos[slot];
      const old = mesh.material.map;
      if (!img) {
        mesh.visible = false;
        this.sizes[slot] = null;
        continue;
      }
      this.sizes[slot] = { width: img.width, height: img.height };
      if (!old || old.image !== img.bitmap) {
        old?.dispose();
        if (img.bitmap) {
          const tex = new THREE.Texture(img.bitmap);
          tex.flipY = false;
          tex.colorSpace = THREE.SRGBColorSpace;
          tex.needsUpdate = true;
          mesh.material.map = tex;
        } else mesh.material.map = null;
        mesh.material.color.set(img.bitmap ? 0xffffff : 0x333333);
        mesh.material.needsUpdate = true;
      }
      mesh.visible = true;
    }
    const prev = this.layout;
    const sa = this.sizes.A ?? this.sizes.B ?? { width: 1, height: 1 };
    const sb = this.sizes.B ?? this.sizes.A ?? { width: 1, height: 1 };
    this.layout = figureLayout(sa, sb, mode);
    for (const slot of ['A', 'B'] as const) {
      const p = slot === 'A' ? this.layout.a : this.layout.b;
      for (const mesh of [this.photos[slot], this.heat[slot]]) {
        mesh.scale.set(p.width, p.height, 1);
        mesh.position.set(p.x + p.width / 2, -(p.y + p.height / 2), mesh.position.z);
      }
    }
    const pb = this.layout.b;
    this.warp.scale.set(pb.width, pb.height, 1);
    this.warp.position.set(pb.x + pb.width / 2, -(pb.y + pb.height / 2), 2);
    this.updateWarp();
    if (!prev || prev.width !== this.layout.width || prev.height !== this.layout.height || this.view.fitted) this.fit();
    this.uploadPositions();
    this.uploadRings();
    this.invalidate();
  }

  /** All matches, sorted: [xA, yA, xB, yB] per match in original pixels; colors RGB per match. */
  setMatches(pairs: Float32Array, colors: Float32Array): void {
    this.pairs = pairs;
    this.uploadPositions();
    this.setColors(colors);
  }

  private uploadPositions(): void {
    const n = this.pairs.length / 4;
    const fig = this.layout ? figurePositions(this.pairs, this.layout) : new Float32Array(this.pairs.length);
    const pos = new Float32Array(n * 6);
    for (let i = 0; i < n; i++) {
      pos[i * 6] = fig[i * 4];
      pos[i * 6 + 1] = -fig[i * 4 + 1];
      pos[i * 6 + 3] = fig[i * 4 + 2];
      pos[i * 6 + 4] = -fig[i * 4 + 3];
    }
    this.points.geometry.setAttribute('position', new THREE.BufferAttribute(pos, 3));
    // An empty instanced geometry has no bounds (NaN warnings): hide the lines instead.
    if (n > 0) this.lines.geometry.setPositions(pos);
    this.applyCount();
  }

  /** RGB per match (both ends get the same colour). */
  setColors(colors: Float32Array): void {
    const n = colors.length / 3;
    const c = new Float32Array(n * 6);
    for (let i = 0; i < n; i++) {
      c.set(colors.subarray(i * 3, i * 3 + 3), i * 6);
      c.set(colors.subarray(i * 3, i * 3 + 3), i * 6 + 3);
    }
    this.points.geometry.setAttribute('color', new THREE.BufferAttribute(c, 3));
    if (n > 0) this.lines.geometry.setColors(c);
    this.invalidate();
  }

  private applyCount(): void {
    const n = Math.min(this.count, this.pairs.length / 4);
    this.points.geometry.setDrawRange(0, n * 2);
    this.lines.geometry.instanceCount = n;
    this.lines.visible = this.linesWanted && n > 0;
    this.invalidate();
  }

  /** Show the first k matches: a draw range (instance count), nothing else. */
  setCount(k: number): void {
    this.count = k;
    this.applyCount();
  }

  setLinesVisible(lines: boolean, points: boolean): void {
    this.linesWanted = lines;
    this.points.visible = points;
    this.applyCount();
  }

  /** Line width and keypoint size in CSS pixels (bigger in presentation mode). */
  setStroke(lineWidth: number, pointSize: number): void {
    this.lines.material.linewidth = lineWidth;
    this.points.material.size = pointSize;
    this.invalidate();
  }

  setHeatmap(slot: Slot, grid: HeatGrid | null): void {
    const mesh = this.heat[slot];
    mesh.material.map?.dispose();
    if (!grid) {
      mesh.material.map = null;
      mesh.visible = false;
    } else {
      const tex = new THREE.DataTexture(grid.rgba, grid.width, grid.height, THREE.RGBAFormat);
      tex.magFilter = THREE.LinearFilter;
      tex.minFilter = THREE.LinearFilter;
      tex.colorSpace = THREE.SRGBColorSpace;
      tex.needsUpdate = true;
      mesh.material.map = tex;
      mesh.material.needsUpdate = true;
      mesh.visible = !!this.sizes[slot];
    }
    this.invalidate();
  }

  /** Inspect markers: points in original pixels of their image, and an optional line between. */
  setMarkers(marks: Array<{ slot: Slot; xy: [number, number] }>, connect: boolean): void {
    const pos: number[] = [];
    for (const m of marks) {
      const f = this.toFigure(m.slot, m.xy);
      if (f) pos.push(f[0], -f[1], 0);
    }
    this.marks.geometry.setAttribute('position', new THREE.Float32BufferAttribute(pos, 3));
    this.markLine.geometry.setAttribute('position', new THREE.Float32BufferAttribute(connect && pos.length === 6 ? pos : [], 3));
    this.invalidate();
  }

  /** Warped A over B for a homography (A → B, row-major, original pixels); null hides it. */
  setWarp(H: number[] | null, opacity: number): void {
    this.homography = H;
    this.warp.material.uniforms.opacity.value = opacity;
    this.updateWarp();
    this.invalidate();
  }

  private updateWarp(): void {
    const H = this.homography;
    const mapA = this.photos.A.material.map;
    const u = this.warp.material.uniforms;
    const ok = !!H && !!mapA && !!this.sizes.A && !!this.sizes.B && u.opacity.value > 0;
    this.warp.visible = ok;
    if (!ok) return;
    // Matrix3.set takes row-major arguments.
    const m = new THREE.Matrix3().set(H[0], H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]);
    u.hInv.value = m.invert();
    u.mapA.value = mapA;
    u.sizeA.value.set(this.sizes.A!.width, this.sizes.A!.height);
    u.sizeB.value.set(this.sizes.B!.width, this.sizes.B!.height);
  }

  private toFigure(slot: Slot, xy: [number, number]): [number, number] | null {
    if (!this.layout) return null;
    const p = slot === 'A' ? this.layout.a : this.layout.b;
    return [p.x + (xy[0] + 0.5) * p.scale, p.y + (xy[1] + 0.5) * p.scale];
  }

  /** Which image, and where in its original pixels, lies under a client point. */
  pick(clientX: number, clientY: number): { slot: Slot; xy: [number, number] } | null {
    if (!this.layout) return null;
    const r = this.canvas.getBoundingClientRect();
    const fx = this.view.cx + (clientX - r.left - r.width / 2) / this.view.zoom;
    const fy = this.view.cy + (clientY - r.top - r.height / 2) / this.view.zoom;
    for (const slot of ['A', 'B'] as const) {
      if (!this.sizes[slot]) continue;
      const p = slot === 'A' ? this.layout.a : this.layout.b;
      if (fx >= p.x && fy >= p.y && fx < p.x + p.width && fy < p.y + p.height) {
        return { slot, xy: [(fx - p.x) / p.scale - 0.5, (fy - p.y) / p.scale - 0.5] };
      }
    }
    return null;
  }

  /** The camera: figure point at the canvas centre, css px per figure unit, and whether it is fitted. */
  get viewState(): { cx: number; cy: number; zoom: number; fitted: boolean } {
    return { ...this.view };
  }

  /** Move the camera to another overlay's view of the same figure (fitted: fit this canvas). */
  setView(view: { cx: number; cy: number; zoom: number; fitted: boolean }): void {
    if (view.fitted) return this.fit();
    this.view = { ...view };
    this.updateCamera();
  }

  /** How many match lines the last draw range shows (the tests read it). */
  get linesDrawn(): number {
    return this.lines.visible ? this.lines.geometry.instanceCount : 0;
  }

  /** Fit the whole figure in the canvas. */
  fit(): void {
    const { width, height } = this.cssSize();
    const L = this.layout;
    if (!L) return;
    const zoom = 0.98 * Math.min(width / L.width, height / L.height);
    this.view = { cx: L.width / 2, cy: L.height / 2, zoom: zoom > 0 ? zoom : 1, fitted: true };
    this.updateCamera();
  }

  /** Zoom by factor about a client point (the point under the cursor stays put). */
  zoomAt(clientX: number, clientY: number, factor: number): void {
    const r = this.canvas.getBoundingClientRect();
    const dx = clientX - r.left - r.width / 2;
    const dy = clientY - r.top - r.height / 2;
    const v = this.view;
    const zoom = Math.min(200, Math.max(0.02, v.zoom * factor));
    const fx = v.cx + dx / v.zoom;
    const fy = v.cy + dy / v.zoom;
    this.view = { cx: fx - dx / zoom, cy: fy - dy / zoom, zoom, fitted: false };
    this.updateCamera();
  }

  panBy(dxCss: number, dyCss: number): void {
    this.view = { ...this.view, cx: this.view.cx - dxCss / this.view.zoom, cy: this.view.cy - dyCss / this.view.zoom, fitted: false };
    this.updateCamera();
  }

  private cssSize(): { width: number; height: number } {
    return { width: Math.max(1, this.canvas.clientWidth), height: Math.max(1, this.canvas.clientHeight) };
  }

  private updateCamera(): void {
    const { width, height } = this.cssSize();
    const { cx, cy, zoom } = this.view;
    const c = this.camera;
    c.left = cx - width / 2 / zoom;
    c.right = cx + width / 2 / zoom;
    c.top = -(cy - height / 2 / zoom);
    c.bottom = -(cy + height / 2 / zoom);
    c.updateProjectionMatrix();
    this.invalidate();
    this.onView?.();
  }

  /** Call when the canvas's CSS size changed. */
  resize(): void {
    const { width, height } = this.cssSize();
    this.renderer.setSize(width, height, false);
    // Line widths are in CSS pixels of this size (and scale with the pixel ratio, as in exports).
    this.lines.material.resolution.set(width, height);
    for (const ring of this.rings) ring.material.resolution.set(width, height);
    if (this.view.fitted) this.fit();
    else this.updateCamera();
  }

  invalidate(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draw now (also used by exports). */
  draw(): void {
    this.renderer.render(this.scene, this.camera);
    this.onFrame?.();
  }

  /** The whole figure, fitted, at `scale` times the canvas's device pixels, as PNG. */
  async exportPng(scale = 2): Promise<Blob> {
    const { width, height } = this.cssSize();
    const ratio = this.renderer.getPixelRatio();
    const saved = { ...this.view };
    this.renderer.setPixelRatio(scale * (globalThis.devicePixelRatio || 1) > ratio ? scale * (globalThis.devicePixelRatio || 1) : ratio);
    this.renderer.setSize(width, height, false);
    this.fit();
    this.renderer.setClearColor(0xffffff, 1);
    this.draw();
    const blob = await new Promise<Blob | null>((res) => this.canvas.toBlob(res, 'image/png'));
    this.renderer.setClearColor(0x000000, 0);
    this.renderer.setPixelRatio(ratio);
    this.renderer.setSize(width, height, false);
    this.view = saved;
    this.updateCamera();
    if (!blob) throw new Error('The canvas could not be encoded as PNG.');
    return blob;
  }

  get figure(): FigureLayout | null {
    return this.layout;
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    this.scene.traverse((o) => {
      const m = o as THREE.Mesh;
      m.geometry?.dispose();
      const mat = m.material as THREE.Material & { map?: THREE.Texture | null };
      mat?.map?.dispose();
      mat?.dispose?.();
    });
    this.renderer.dispose();
  }
}

/**
 * Two overlays of the same figure (CoAM's and the classic matcher's panes) move as one: a pan or
 * zoom in either is mirrored in the other. Returns the unlink.
 */
export function linkViews(a: MatchOverlay, b: MatchOverlay): () => void {
  let mirroring = false;
  const follow = (from: MatchOverlay, to: MatchOverlay) => () => {
    if (mirroring) return;
    mirroring = true;
    try {
      to.setView(from.viewState);
    } finally {
      mirroring = false;
    }
  };
  a.onView = follow(a, b);
  b.onView = follow(b, a);
  b.setView(a.viewState);
  return () => {
    a.onView = null;
    b.onView = null;
  };
}
