/**
 * Runs an async job one at a time: a trigger while it runs asks for exactly one more run after
 * it, however many triggers came. Level-triggered work (reconcile Services, rewrite names,
 * sync a pod) needs no more than that.
 */
export class SerialJob {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    /** Checked before each extra run: false once the owner has stopped. */
    private readonly active: () => boolean = () => true,
  ) {}

  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.job();
        } catch (error) {
          this.onError(error);
        }
      } while (this.again && this.active());
    })().finally(() => (this.running = undefined));
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
