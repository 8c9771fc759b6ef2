/** Messages for the user: errors and notes, as plain text (never markup). */
import { dismissNotice, useCoam } from '../state/store';

/** `overlay`: drawn over the figure (embed mode, where there is no page around it), a few lines each. */
export function Notices({ overlay = false }: { overlay?: boolean }) {
  const notices = useCoam((s) => s.notices);
  return (
    <div className={`notices ${overlay ? 'overlay' : ''}`} role="alert" data-testid="notices">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`}>
          <span title={overlay ? n.text : undefined}>{n.text}</span>
          <button type="button" onClick={() => dismissNotice(n.id)} aria-label="Dismiss message">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
