/** Two labelled drop zones (file pickers), and the sample pairs. */
import { useState, type DragEvent } from 'react';
import { useCoam } from '../state/store';
import { loadSample, setFiles, swapImages } from '../state/controller';
import { SAMPLE_PAIRS } from '../state/samples';
import type { Slot } from '../core/types';

function filesOf(e: DragEvent): File[] {
  return Array.from(e.dataTransfer?.files ?? []);
}

function DropZone({ slot }: { slot: Slot }) {
  const entry = useCoam((s) => s.images[slot]);
  const [over, setOver] = useState(false);
  const id = `file-${slot}`;
  const state = entry ? entry.status : 'empty';
  return (
    <div
      className={`dropzone ${over ? 'over' : ''} ${state}`}
      data-testid={`drop-${slot}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(false);
        const files = filesOf(e);
        // Two files on one zone still fill both slots; one file fills this zone.
        setFiles(files, files.length === 1 ? slot : undefined);
      }}
    >
      <label htmlFor={id} className="dropzone-label">
        <span className="slot-name">Image {slot}</span>
        <span className="slot-file">
          {entry ? `${entry.name}${entry.status === 'ready' ? ` · ${entry.width}×${entry.height}` : entry.status === 'decoding' ? ' · decoding…' : ' · unusable'}` : 'Drop, paste or choose a photo'}
        </span>
      </label>
      <input
        id={id}
        type="file"
        accept="image/*,.ppm,.pgm"
        aria-label={`Image ${slot}`}
        onChange={(e) => {
          const files = Array.from(e.currentTarget.files ?? []);
          if (files.length) setFiles(files, files.length === 1 ? slot : undefined);
          e.currentTarget.value = '';
        }}
      />
    </div>
  );
}

export function Inputs() {
  return (
    <section className="inputs" aria-label="Inputs">
      <DropZone slot="A" />
      <button type="button" className="swap" onClick={swapImages} title="Swap A and B (s)" aria-label="Swap images">
        ⇄
      </button>
      <DropZone slot="B" />
      <div className="samples" role="group" aria-label="Sample pairs">
        <span className="samples-title">Samples:</span>
        {SAMPLE_PAIRS.map((p) => (
          <button key={p.id} type="button" onClick={() => loadSample(p.id)} data-sample={p.id}>
            {p.title}
          </button>
        ))}
        <a className="licences" href="samples/LICENSES.md" target="_blank" rel="noopener">
          licences
        </a>
      </div>
    </section>
  );
}
