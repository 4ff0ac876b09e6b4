import Service from '@ember/service';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON, AuthenticationResponseJSON } from '@simplewebauthn/browser';

/**
 * The browser's passkey ceremonies. @simplewebauthn/browser loads only when a ceremony starts,
 * so it stays out of the first-load bundle; tests replace this service (no authenticator there).
 */
export default class WebauthnService extends Service {
  get supported(): boolean {
    return typeof window !== 'undefined' && typeof window.PublicKeyCredential === 'function';
  }

  async authenticate(optionsJSON: PublicKeyCredentialRequestOptionsJSON): Promise<AuthenticationResponseJSON> {
    const { startAuthentication } = await import('@simplewebauthn/browser');
    return startAuthentication({ optionsJSON });
  }

  async register(optionsJSON: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
    const { startRegistration } = await import('@simplewebauthn/browser');
    return startRegistration({ optionsJSON });
  }
}

declare module '@ember/service' {
  interface Registry {
    webauthn: WebauthnService;
  }
}
