import Route from '@ember/routing/route';

export default class InvitationRoute extends Route {
  model(params: { token: string }): { token: string } {
    return { token: params.token };
  }
}
