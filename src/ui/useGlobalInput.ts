/** Page-wide input: files dropped anywhere, paste from the clipboard, keyboard shortcuts. */
import { useEffect } from 'react';
import { useCoam } from '../state/store';
import { loadModelFiles, setFiles, rerun, swapImages } from '../state/controller';
import { cycleShow } from '../state/baseline';
import { clearInspect, cycleRansac, setPresentation, stepK, toggleHeatmap } from '../state/actions';

const isTyping = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)) && !(t instanceof HTMLInputElement && t.type === 'range');

export function useGlobalInput(): void {
  useEffect(() => {
    const onDragOver = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const onDrop = (e: DragEvent) => {
      const files = Array.from(e.dataTransfer?.files ?? []);
      if (!files.length) return;
      e.preventDefault();
      // A dropped .onnx (with its .json sidecar, if any) is a model to try; the rest are images.
      const isModel = (f: File) => /\.onnx$/i.test(f.name);
      const models = files.filter((f) => isModel(f) || (/\.json$/i.test(f.name) && files.some(isModel)));
      if (models.length) void loadModelFiles(models);
      const images = files.filter((f) => !models.includes(f));
      if (images.length) setFiles(images);
    };
    const onPaste = (e: ClipboardEvent) => {
      if (isTyping(e.target)) return;
      const files = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
      if (!files.length) return;
      e.preventDefault();
      const named = files.map((f, i) => (f.name && f.name !== 'image.png' ? f : new File([f], `pasted-${Date.now()}-${i}.${f.type.split('/')[1] || 'png'}`, { type: f.type })));
      setFiles(named);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      // Native meanings win: arrows on a focused slider, space on a focused button.
      if (e.target instanceof HTMLInputElement && e.key.startsWith('Arrow')) return;
      if (e.target instanceof HTMLButtonElement && (e.key === ' ' || e.key === 'Enter')) return;
      const handled = (() => {
        switch (e.key) {
          case 'ArrowLeft':
            stepK(-1);
            return true;
          case 'ArrowRight':
            stepK(1);
            return true;
          case 'h':
            toggleHeatmap();
            return true;
          case 'r':
            cycleRansac();
            return true;
          case 'c':
            return cycleShow();
          case 's':
            swapImages();
            return true;
          case ' ':
            rerun();
            return true;
          case 'Escape':
            clearInspect();
            if (useCoam.getState().presentation) setPresentation(false);
            return true;
          default:
            return false;
        }
      })();
      if (handled) e.preventDefault();
    };
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    window.addEventListener('paste', onPaste);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
      window.removeEventListener('paste', onPaste);
      window.removeEventListener('keydown', onKey);
    };
  }, []);
}
