import type { SecretBackend } from './profileStore';

/**
 * Forwards to VS Code's SecretStorage. The extension lets tests swap the target, and only in
 * extension test mode, so a test can reproduce a keyring that fails.
 */
export class SwitchableSecretBackend implements SecretBackend {
  private target: SecretBackend;

  constructor(private readonly original: SecretBackend) {
    this.target = original;
  }

  /** Replaces the backend; undefined restores the original. */
  replace(backend: SecretBackend | undefined): void {
    this.target = backend ?? this.original;
  }

  get(key: string): PromiseLike<string | undefined> {
    return this.target.get(key);
  }

  store(key: string, value: string): PromiseLike<void> {
    return this.target.store(key, value);
  }

  delete(key: string): PromiseLike<void> {
    return this.target.delete(key);
  }
}
