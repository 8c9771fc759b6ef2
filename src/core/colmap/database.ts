/**
 * A COLMAP database (the SQLite file `colmap feature_extractor` / `*_matcher` write and `colmap
 * mapper` reads), in the schema of COLMAP 3.8 (src/base/database.cc), through sql.js (SQLite
 * compiled to WebAssembly: no native binary, runs in Node and the browser alike).
 *
 * Blobs are little-endian, as COLMAP memcpy's them on every machine it runs on: keypoints float32
 * rows x 2 (x, y; COLMAP reads 2, 4 or 6 columns), matches uint32 rows x 2 (point2D_idx1,
 * point2D_idx2), camera params float64, F / E / H float64 3x3 row-major, qvec float64 x 4 (w, x,
 * y, z), tvec float64 x 3. A pair is stored once, under pair_id = 2147483647 * id1 + id2 with
 * id1 < id2, its match columns and F in that order.
 */
import type { Database as SqlDatabase, SqlValue } from 'sql.js';
import type { Point } from '../types';

/** A 64-bit integer for sql.js to bind as such (pair ids pass 2^31; sql.js binds a bigint with sqlite3_bind_int64). */
const int64 = (n: number): SqlValue => BigInt(n) as unknown as SqlValue;

/** COLMAP's kMaxNumImages: image ids are below it and pair ids are built from it. */
export const MAX_NUM_IMAGES = 2147483647;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS cameras
   (camera_id            INTEGER  PRIMARY KEY AUTOINCREMENT  NOT NULL,
    model                INTEGER                             NOT NULL,
    width                INTEGER                             NOT NULL,
    height               INTEGER                             NOT NULL,
    params               BLOB,
    prior_focal_length   INTEGER                             NOT NULL);
CREATE TABLE IF NOT EXISTS images
   (image_id   INTEGER  PRIMARY KEY AUTOINCREMENT  NOT NULL,
    name       TEXT                                NOT NULL UNIQUE,
    camera_id  INTEGER                             NOT NULL,
    prior_qw   REAL,
    prior_qx   REAL,
    prior_qy   REAL,
    prior_qz   REAL,
    prior_tx   REAL,
    prior_ty   REAL,
    prior_tz   REAL,CONSTRAINT image_id_check CHECK(image_id >= 0 and image_id < ${MAX_NUM_IMAGES}),FOREIGN KEY(camera_id) REFERENCES cameras(camera_id));
CREATE UNIQUE INDEX IF NOT EXISTS index_name ON images(name);
CREATE TABLE IF NOT EXISTS keypoints
   (image_id  INTEGER  PRIMARY KEY  NOT NULL,
    rows      INTEGER               NOT NULL,
    cols      INTEGER               NOT NULL,
    data      BLOB,FOREIGN KEY(image_id) REFERENCES images(image_id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS descriptors
   (image_id  INTEGER  PRIMARY KEY  NOT NULL,
    rows      INTEGER               NOT NULL,
    cols      INTEGER               NOT NULL,
    data      BLOB,FOREIGN KEY(image_id) REFERENCES images(image_id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS matches
   (pair_id  INTEGER  PRIMARY KEY  NOT NULL,
    rows     INTEGER               NOT NULL,
    cols     INTEGER               NOT NULL,
    data     BLOB);
CREATE TABLE IF NOT EXISTS two_view_geometries
   (pair_id  INTEGER  PRIMARY KEY  NOT NULL,
    rows     INTEGER               NOT NULL,
    cols     INTEGER               NOT NULL,
    data     BLOB,
    config   INTEGER               NOT NULL,
    F        BLOB,
    E        BLOB,
    H        BLOB,
    qvec     BLOB,
    tvec     BLOB);
`;

/** The tables a COLMAP 3.8 database has, in the order COLMAP creates them. */
export const TABLES = ['cameras', 'images', 'keypoints', 'descriptors', 'matches', 'two_view_geometries'] as const;

/** COLMAP's camera model ids (src/base/camera_models.h). */
export const CAMERA_MODELS = { SIMPLE_PINHOLE: 0, PINHOLE: 1, SIMPLE_RADIAL: 2, RADIAL: 3, OPENCV: 4 } as const;

/** TwoViewGeometry::ConfigurationType (src/estimators/two_view_geometry.h). */
export const TWO_VIEW_CONFIG = {
  UNDEFINED: 0,
  DEGENERATE: 1,
  CALIBRATED: 2,
  UNCALIBRATED: 3,
  PLANAR: 4,
  PANORAMIC: 5,
  PLANAR_OR_PANORAMIC: 6,
  WATERMARK: 7,
  MULTIPLE: 8,
} as const;

/** COLMAP's pair id of two image ids (order-free: the smaller id goes first). */
export function pairIdOf(imageId1: number, imageId2: number): number {
  const [a, b] = imageId1 < imageId2 ? [imageId1, imageId2] : [imageId2, imageId1];
  return MAX_NUM_IMAGES * a + b; // < 2^53 for every valid id, so exact as a double
}

/** The two image ids of a pair id, smaller first. */
export function imagesOfPairId(pairId: number): [number, number] {
  const b = pairId % MAX_NUM_IMAGES;
  return [(pairId - b) / MAX_NUM_IMAGES, b];
}

/**
 * COLMAP's default camera for an image with no EXIF focal length (feature_extractor's
 * SIMPLE_RADIAL, f = 1.2 * max(width, height), principal point at the centre, k = 0), which the
 * mapper then refines.
 */
export function defaultCamera(width: number, height: number): { model: number; width: number; height: number; params: number[] } {
  return { model: CAMERA_MODELS.SIMPLE_RADIAL, width, height, params: [1.2 * Math.max(width, height), width / 2, height / 2, 0] };
}

const bytesOf = (a: Float32Array | Float64Array | Uint32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// COLMAP memcpy's its blobs; every machine it ships for is little-endian, as is every JS engine
// sql.js runs on in practice. Refuse the rare big-endian host rather than write a wrong file.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('COLMAP databases are little-endian; this host is not');

/** The row-major 3x3 of a 9-vector, or zeros (COLMAP's TwoViewGeometry default). */
const mat3Blob = (m: readonly number[] | null | undefined): Uint8Array => bytesOf(m && m.length === 9 ? Float64Array.from(m) : new Float64Array(9));

export interface TwoViewGeometryRow {
  /** Inlier matches as keypoint indices, [idx in image 1, idx in image 2] per row. */
  inliers: ReadonlyArray<readonly [number, number]>;
  config: number;
  /** Fundamental matrix, row-major, x2^T F x1 = 0 (image 1's points x1). */
  F?: readonly number[] | null;
  E?: readonly number[] | null;
  H?: readonly number[] | null;
}

/**
 * Thin writer/reader over one open sql.js database holding COLMAP's tables. Matches and
 * geometries are given in the caller's order (image A, image B) and stored in COLMAP's (smaller
 * id first): columns swapped and F transposed when A's id is the larger.
 */
export class ColmapDatabase {
  constructor(readonly db: SqlDatabase) {}

  /** Create COLMAP's tables (if absent) on an open database. */
  static create(db: SqlDatabase): ColmapDatabase {
    db.run('PRAGMA foreign_keys=ON');
    db.exec(SCHEMA_SQL);
    return new ColmapDatabase(db);
  }

  /** Which of COLMAP's tables are missing from the database (empty: it is a COLMAP database). */
  missingTables(): string[] {
    const rows = this.db.exec("SELECT name FROM sqlite_master WHERE type='table'");
    const have = new Set((rows[0]?.values ?? []).map((r) => String(r[0])));
    return TABLES.filter((t) => !have.has(t));
  }

  addCamera(camera: { model: number; width: number; height: number; params: readonly number[]; priorFocalLength?: boolean }): number {
    this.db.run('INSERT INTO cameras (model, width, height, params, prior_focal_length) VALUES (?, ?, ?, ?, ?)', [
      camera.model,
      camera.width,
      camera.height,
      bytesOf(new Float64Array(camera.params)),
      camera.priorFocalLength ? 1 : 0,
    ]);
    return this.lastId();
  }

  addImage(name: string, cameraId: number): number {
    this.db.run('INSERT INTO images (name, camera_id) VALUES (?, ?)', [name, cameraId]);
    return this.lastId();
  }

  private lastId(): number {
    return Number(this.db.exec('SELECT last_insert_rowid()')[0].values[0][0]);
  }

  /** Image ids by name, and each image's camera size. */
  images(): Array<{ imageId: number; name: string; cameraId: number; width: number; height: number }> {
    const out: Array<{ imageId: number; name: string; cameraId: number; width: number; height: number }> = [];
    const stmt = this.db.prepare('SELECT images.image_id, images.name, images.camera_id, cameras.width, cameras.height FROM images JOIN cameras ON images.camera_id = cameras.camera_id ORDER BY images.image_id');
    try {
      while (stmt.step()) {
        const [imageId, name, cameraId, width, height] = stmt.get();
        out.push({ imageId: Number(imageId), name: String(name), cameraId: Number(cameraId), width: Number(width), height: Number(height) });
      }
    } finally {
      stmt.free();
    }
    return out;
  }

  /** Replace an image's keypoints (x, y in COLMAP's frame: the top-left pixel's centre is 0.5, 0.5). */
  setKeypoints(imageId: number, points: readonly Point[]): void {
    const data = new Float32Array(points.length * 2);
    points.forEach(([x, y], i) => {
      data[2 * i] = x;
      data[2 * i + 1] = y;
    });
    this.db.run('INSERT OR REPLACE INTO keypoints (image_id, rows, cols, data) VALUES (?, ?, ?, ?)', [imageId, points.length, 2, bytesOf(data)]);
  }

  /** An image's keypoints (any of COLMAP's 2, 4 or 6 columns; x and y are the first two). */
  keypoints(imageId: number): Point[] {
    const row = this.blobRow('SELECT rows, cols, data FROM keypoints WHERE image_id = ?', [imageId]);
    if (!row) return [];
    const f = new Float32Array(row.data.buffer.slice(row.data.byteOffset, row.data.byteOffset + row.rows * row.cols * 4));
    const out: Point[] = [];
    for (let i = 0; i < row.rows; i++) out.push([f[i * row.cols], f[i * row.cols + 1]]);
    return out;
  }

  /** The pair ids that have a row in `matches` (the pairs already matched). */
  matchedPairIds(): Set<number> {
    const rows = this.db.exec('SELECT pair_id FROM matches');
    return new Set((rows[0]?.values ?? []).map((r) => Number(r[0])));
  }

  /** Write a pair's matches, [index in A's keypoints, index in B's] per row. */
  setMatches(imageIdA: number, imageIdB: number, matches: ReadonlyArray<readonly [number, number]>): void {
    const pairId = pairIdOf(imageIdA, imageIdB);
    this.db.run('INSERT OR REPLACE INTO matches (pair_id, rows, cols, data) VALUES (?, ?, ?, ?)', [
      int64(pairId),
      matches.length,
      2,
      matchesBlob(matches, imageIdA > imageIdB),
    ]);
  }

  /** Write a pair's verified geometry (matches in A, B order; F with x_B^T F x_A = 0). */
  setTwoViewGeometry(imageIdA: number, imageIdB: number, g: TwoViewGeometryRow): void {
    const swap = imageIdA > imageIdB;
    const F = g.F && swap ? transpose3(g.F) : g.F;
    const E = g.E && swap ? transpose3(g.E) : g.E;
    // H maps A to B; the other way round it is H^-1, which no caller writes here yet.
    const H = swap ? null : g.H;
    this.db.run('INSERT OR REPLACE INTO two_view_geometries (pair_id, rows, cols, data, config, F, E, H, qvec, tvec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      int64(pairIdOf(imageIdA, imageIdB)),
      g.inliers.length,
      2,
      matchesBlob(g.inliers, swap),
      g.config,
      mat3Blob(F),
      mat3Blob(E),
      mat3Blob(H),
      bytesOf(new Float64Array(4)),
      bytesOf(new Float64Array(3)),
    ]);
  }

  /** A pair's matches as stored (COLMAP's order: the smaller image id's column first). */
  matches(pairId: number, table: 'matches' | 'two_view_geometries' = 'matches'): Array<[number, number]> {
    const row = this.blobRow(`SELECT rows, cols, data FROM ${table} WHERE pair_id = ?`, [int64(pairId)]);
    if (!row) return [];
    const u = new Uint32Array(row.data.buffer.slice(row.data.byteOffset, row.data.byteOffset + row.rows * 2 * 4));
    const out: Array<[number, number]> = [];
    for (let i = 0; i < row.rows; i++) out.push([u[2 * i], u[2 * i + 1]]);
    return out;
  }

  private blobRow(sql: string, params: SqlValue[]): { rows: number; cols: number; data: Uint8Array } | null {
    const stmt = this.db.prepare(sql);
    try {
      stmt.bind(params);
      if (!stmt.step()) return null;
      const [rows, cols, data] = stmt.get();
      return { rows: Number(rows), cols: Number(cols), data: (data as Uint8Array | null) ?? new Uint8Array(0) };
    } finally {
      stmt.free();
    }
  }

  count(table: (typeof TABLES)[number]): number {
    return Number(this.db.exec(`SELECT COUNT(*) FROM ${table}`)[0].values[0][0]);
  }
}

function matchesBlob(matches: ReadonlyArray<readonly [number, number]>, swap: boolean): Uint8Array {
  const data = new Uint32Array(matches.length * 2);
  matches.forEach(([a, b], i) => {
    data[2 * i] = swap ? b : a;
    data[2 * i + 1] = swap ? a : b;
  });
  return bytesOf(data);
}

function transpose3(m: readonly number[]): number[] {
  return [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]];
}
