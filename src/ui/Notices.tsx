/** Messages for the user: errors and notes, as plain text (never markup). */
import { dismissNotice, useCoam } from '../state/store';

export function Notices() {
  const notices = useCoam((s) => s.notices);
  return (
    <div className="notices" role="alert" data-testid="notices">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`}>
          <span>{n.text}</span>
          <button type="button" onClick={() => dismissNotice(n.id)} aria-label="Dismiss message">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
