import { Alert, AlertMessage } from './alert-message';

const alert: Alert = {
  kind: 'dead_letters',
  subscription: { id: 7, name: 'orders', topic: 'orders-topic' },
  instance: 'i-1',
  at: '2026-11-21T10:00:00.000Z',
  summary: '3 record(s) dead-lettered',
  details: { count: 3 },
};

describe('AlertMessage', () => {
  it('renders the plain JSON alert and the chat formats', () => {
    expect(JSON.parse(AlertMessage.render(alert, 'json'))).toEqual(alert);
    const text = '[kproxy] 3 record(s) dead-lettered (subscription orders #7, topic orders-topic, instance i-1)';
    expect(JSON.parse(AlertMessage.render(alert, 'slack'))).toEqual({ text });
    expect(JSON.parse(AlertMessage.render(alert, 'wecom'))).toEqual({ msgtype: 'text', text: { content: text } });
    expect(JSON.parse(AlertMessage.render(alert, 'dingtalk'))).toEqual({ msgtype: 'text', text: { content: text } });
  });
});
