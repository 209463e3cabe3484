/** Shown when the page was opened without the owner token in its address. */
export function MissingToken() {
  return (
    <main className="center-screen">
      <section className="panel notice" aria-labelledby="missing-token-title">
        <h1 id="missing-token-title">Open the URL that <code>cohort publish</code> or <code>cohort app</code> printed</h1>
        <p>
          This page is the owner's view of a Cohort host. It needs the host's owner token, which rides in the address after{' '}
          <code>#token=</code>. The terminal running <code>cohort publish</code> printed the full address, e.g.:
        </p>
        <pre className="example">  owner UI     http://127.0.0.1:PORT/#token=…</pre>
        <p>
          Open that address in this browser. The token is never sent over the network in the address, and it is removed from the
          address bar once the page has read it. A host makes a new token every time it starts.
        </p>
      </section>
    </main>
  );
}
