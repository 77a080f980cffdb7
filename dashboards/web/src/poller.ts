/**
 * Runs `task` every `ms` while the page is visible, and at once when it becomes visible again: a tab left
 * in the background asks nothing of the server, and shows fresh figures when looked at.
 */
export function poll(task: () => void, ms: number): () => void {
  const timer = window.setInterval(() => {
    if (document.visibilityState === 'visible') task();
  }, ms);
  const onVisible = () => {
    if (document.visibilityState === 'visible') task();
  };
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    window.clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
