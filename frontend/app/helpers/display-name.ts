import Helper from '@ember/component/helper';
import { service } from '@ember/service';
import type IntlService from 'ember-intl/services/intl';
import { auditTypeName, loginReasonName, rightName, roleName, roleNamesText, segmentName, subjectTypeName, userAgentName } from 'frontend/utils/names';

type Kind = 'role' | 'roles' | 'right' | 'rights' | 'audit' | 'subject' | 'segment' | 'userAgent' | 'loginReason';

/**
 * `{{displayName "right" "containers:read"}}`: an identifier from data in the UI's language (see
 * utils/names.ts); recomputes when the language changes.
 */
export default class DisplayName extends Helper<{ Args: { Positional: [Kind, unknown] }; Return: string }> {
  @service declare intl: IntlService;

  compute([kind, value]: [Kind, unknown]): string {
    const intl = this.intl;
    switch (kind) {
      case 'role': return roleName(intl, value as string | { key?: string | null; name: string });
      case 'roles': return roleNamesText(intl, (value as string | null | undefined) ?? '');
      case 'right': return rightName(intl, value as string);
      case 'rights': return ((value as string[] | undefined) ?? []).map((r) => rightName(intl, r)).join(', ');
      case 'audit': return auditTypeName(intl, (value as string | null | undefined) ?? '');
      case 'subject': return subjectTypeName(intl, value as string | null);
      case 'segment': return segmentName(intl, value as { segment: string; kut: number });
      case 'userAgent': return userAgentName(intl, value as string | null);
      case 'loginReason': return loginReasonName(intl, value as string | null);
    }
  }
}
