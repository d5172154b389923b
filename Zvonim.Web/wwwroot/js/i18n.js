// English and Russian text, chosen from the browser's languages (?lang=en|ru overrides).

const messages = {
  en: {
    appName: 'Zvonim',
    tagline: 'Video calls by link. No sign-up, no app.',
    homeHint: 'You get a link to send to the other person. A call is for two.',
    start: 'Start a call',
    creating: 'Creating the call…',
    createFailed: 'Could not create a call: {message}',
    leftNote: 'You left the call.',
    shareTitle: 'Invite the other person',
    shareHint: 'Send them this link, or let them scan the code.',
    shareLinkLabel: 'Call link',
    copy: 'Copy link',
    copied: 'Copied',
    copyFailed: 'Select the link and copy it',
    qrAlt: 'QR code of the call link',
    you: 'You',
    other: 'Other person',
    mic: 'Microphone',
    cam: 'Camera',
    micOffTitle: 'Turn the microphone off',
    micOnTitle: 'Turn the microphone on',
    camOffTitle: 'Turn the camera off',
    camOnTitle: 'Turn the camera on',
    hangup: 'Hang up',
    home: 'Home',
    newCall: 'Start a new call',
    cameraOff: 'Camera is off',
    micOff: 'Microphone is off',
    remoteSoon: 'The other person’s video will appear here',
    soundOn: 'Turn on the sound',
    controls: 'Call controls',
    'status.starting': 'Getting ready…',
    'status.media': 'Asking for the camera and microphone…',
    'status.waiting': 'Waiting for the other person to join…',
    'status.connecting': 'Connecting…',
    'status.connected': 'Connected',
    'status.reconnecting': 'Connection lost. Reconnecting…',
    'status.peerAway': 'The other person’s connection dropped. Waiting for them to come back…',
    'status.peerLeft': 'The other person left. The call has ended.',
    'status.peerGone': 'The other person left. The link still works: waiting for someone to join…',
    'status.ended': 'The call has ended.',
    'status.full': 'This call is full: two people are already in it.',
    'status.notFound': 'Call not found. Check the link or start a new call.',
    'status.superseded': 'This call is open in another tab.',
    'status.failed': 'Could not connect (network/TURN).',
    'status.error': 'Something went wrong: {message}',
    'notice.noCamMic': 'No camera and microphone (no permission or no device). You are in the call, but the other person can neither see nor hear you.',
    'notice.noCam': 'No camera (no permission or no device). The other person can hear you but not see you.',
    'notice.noMic': 'No microphone (no permission or no device). The other person can see you but not hear you.',
    'notice.turnRefused': 'The TURN server refused the credentials.',
    'notice.turnUnreachable': 'The TURN server could not be reached.',
  },
  ru: {
    appName: 'Звоним',
    tagline: 'Видеозвонки по ссылке. Без регистрации и приложений.',
    homeHint: 'Вы получите ссылку для собеседника. Звонок — на двоих.',
    start: 'Начать звонок',
    creating: 'Создаём звонок…',
    createFailed: 'Не удалось создать звонок: {message}',
    leftNote: 'Вы вышли из звонка.',
    shareTitle: 'Пригласите собеседника',
    shareHint: 'Отправьте ему эту ссылку или покажите QR-код.',
    shareLinkLabel: 'Ссылка на звонок',
    copy: 'Копировать',
    copied: 'Скопировано',
    copyFailed: 'Выделите ссылку и скопируйте её',
    qrAlt: 'QR-код ссылки на звонок',
    you: 'Вы',
    other: 'Собеседник',
    mic: 'Микрофон',
    cam: 'Камера',
    micOffTitle: 'Выключить микрофон',
    micOnTitle: 'Включить микрофон',
    camOffTitle: 'Выключить камеру',
    camOnTitle: 'Включить камеру',
    hangup: 'Завершить',
    home: 'На главную',
    newCall: 'Начать новый звонок',
    cameraOff: 'Камера выключена',
    micOff: 'Микрофон выключен',
    remoteSoon: 'Здесь появится видео собеседника',
    soundOn: 'Включить звук',
    controls: 'Управление звонком',
    'status.starting': 'Подготовка…',
    'status.media': 'Запрашиваем камеру и микрофон…',
    'status.waiting': 'Ждём, когда собеседник присоединится…',
    'status.connecting': 'Соединяем…',
    'status.connected': 'Соединение установлено',
    'status.reconnecting': 'Связь потеряна. Переподключаемся…',
    'status.peerAway': 'У собеседника пропала связь. Ждём его возвращения…',
    'status.peerLeft': 'Собеседник вышел. Звонок завершён.',
    'status.peerGone': 'Собеседник вышел. Ссылка по-прежнему работает: ждём, когда кто-нибудь присоединится…',
    'status.ended': 'Звонок завершён.',
    'status.full': 'Звонок заполнен: в нём уже два участника.',
    'status.notFound': 'Звонок не найден. Проверьте ссылку или начните новый звонок.',
    'status.superseded': 'Этот звонок открыт в другой вкладке.',
    'status.failed': 'Не удалось соединиться (сеть/TURN).',
    'status.error': 'Что-то пошло не так: {message}',
    'notice.noCamMic': 'Нет камеры и микрофона (нет разрешения или устройства). Вы в звонке, но собеседник вас не видит и не слышит.',
    'notice.noCam': 'Нет камеры (нет разрешения или устройства). Собеседник вас слышит, но не видит.',
    'notice.noMic': 'Нет микрофона (нет разрешения или устройства). Собеседник вас видит, но не слышит.',
    'notice.turnRefused': 'TURN-сервер отклонил учётные данные.',
    'notice.turnUnreachable': 'TURN-сервер недоступен.',
  },
};

function pickLanguage() {
  const forced = new URLSearchParams(location.search).get('lang');
  if (forced && forced in messages) return forced;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language ?? 'en'];
  for (const tag of preferred) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base in messages) return base;
  }
  return 'en';
}

export const lang = pickLanguage();

/** The text for a key, with {name} placeholders filled from vars. */
export function t(key, vars = {}) {
  const text = messages[lang][key] ?? messages.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** Fills [data-i18n] elements' text and [data-i18n-<attr>] attributes (aria-label, title, alt, placeholder). */
export function translatePage(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const attr of ['aria-label', 'title', 'alt']) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.getAttribute(`data-i18n-${attr}`)));
  }
}
