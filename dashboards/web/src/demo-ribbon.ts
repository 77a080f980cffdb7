/** Shows the ribbon of index.html that says the figures are a demonstration's (before sign-in too). */
export function showDemo(): void {
  const ribbon = document.querySelector<HTMLElement>('[data-testid="demo-ribbon"]');
  if (ribbon) ribbon.hidden = false;
}
