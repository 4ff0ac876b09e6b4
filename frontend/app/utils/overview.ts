import type ApiService from 'frontend/services/api';
import type SessionService from 'frontend/services/session';
import type { Approval } from 'frontend/components/approvals-list';
import type { Campaign } from 'frontend/components/recertification-campaign';
import type { CalculationView } from 'frontend/utils/calculations';
import type { ContainerView, ImportView } from 'frontend/utils/containers';

/** How many containers and calculations the overview lists, and from how many containers it reads the history. */
export const OVERVIEW_CONTAINERS = 5;
export const OVERVIEW_CALCULATIONS = 5;
const HISTORY_FROM = 3;

export interface OverviewCalculation extends CalculationView {
  containerName: string;
}

export interface OverviewImport extends ImportView {
  containerId: string;
  containerName: string;
}

export interface OverviewUser {
  id: string;
  name: string;
  email: string;
  status: 'active' | 'locked' | 'deleted';
  lastLoginAt: string | null;
  vendorStaff: boolean;
  secondFactor?: boolean;
}

export interface Overview {
  /** Null where the user may not read them. */
  containers: ContainerView[] | null;
  calculations: OverviewCalculation[] | null;
  /** What runs in the whole bank now, as the server says. */
  running: OverviewCalculation[];
  runningImports: OverviewImport[];
  lockedUsers: OverviewUser[] | null;
  invitedUsers: OverviewUser[] | null;
  /** The bank's own active staff without a second factor (authenticator app or passkey). */
  withoutFactor: OverviewUser[] | null;
  /** Changes waiting for this user's approval (four eyes); null when none may be decided here. */
  approvals: Approval[] | null;
  /** Open recertification campaigns; null without users:read. */
  recertifications: Campaign[] | null;
}

const lastActivity = (c: ContainerView & { lastCalculatedAt?: string | null }) => Math.max(Date.parse(c.lastImportAt ?? '') || 0, Date.parse(c.lastCalculatedAt ?? '') || 0);

/** Reads, with the rights the user has, what the overview shows; each part the user may not read stays null. */
export async function loadOverview(api: Pick<ApiService, 'get'>, session: SessionService): Promise<Overview> {
  const get = <T>(path: string) => api.get<T>(path);
  const overview: Overview = {
    containers: null, calculations: null, running: [], runningImports: [], lockedUsers: null, invitedUsers: null, withoutFactor: null, approvals: null, recertifications: null,
  };
  const parts: Promise<void>[] = [];
  if (session.can('containers', 'read')) {
    parts.push(get<ContainerView[]>('/containers').then(async (all) => {
      const recent = [...all].sort((a, b) => lastActivity(b) - lastActivity(a));
      overview.containers = recent.slice(0, OVERVIEW_CONTAINERS);
      const histories = await Promise.all(recent.slice(0, HISTORY_FROM).map((c) =>
        get<CalculationView[]>(`/calculations?containerId=${c.id}`).then((list) => list.map((run) => ({ ...run, containerName: c.name })))));
      const runs = histories.flat().sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
      overview.calculations = runs.slice(0, OVERVIEW_CALCULATIONS);
    }));
    parts.push(get<OverviewCalculation[]>('/calculations?status=active').then((runs) => void (overview.running = runs)));
    parts.push(get<OverviewImport[]>('/imports?status=active').then((imports) => void (overview.runningImports = imports)));
  }
  if (session.can('users', 'read')) {
    parts.push(get<OverviewUser[]>('/users').then((users) => {
      const own = users.filter((u) => u.status === 'active' && !u.vendorStaff);
      overview.lockedUsers = users.filter((u) => u.status === 'locked');
      overview.invitedUsers = own.filter((u) => !u.lastLoginAt);
      overview.withoutFactor = own.filter((u) => u.secondFactor === false);
    }));
    parts.push(get<Campaign[]>('/recertifications').then((list) => void (overview.recertifications = list.filter((c) => c.status === 'open'))));
  }
  // Every signed-in user may ask; the server lists what this user may see, and says what they may decide.
  parts.push(get<Approval[]>('/approvals').then((list) => {
    const mine = list.filter((a) => a.status === 'pending' && a.canDecide);
    overview.approvals = mine.length || session.can('users', 'read') ? mine : null;
  }));
  // A part that fails leaves its section out; the overview still opens (a 401 is handled by the API service).
  await Promise.all(parts.map((p) => p.catch(() => undefined)));
  return overview;
}
