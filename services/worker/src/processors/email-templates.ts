import { EmailTemplates } from '@backbone/contracts';

type TemplateName = (typeof EmailTemplates)[keyof typeof EmailTemplates];
type Variables = Record<string, string | number>;

interface EmailTemplate {
  /** Variables the template needs; a job that lacks one fails without retries. */
  variables: readonly string[];
  subject(values: Variables): string;
  text(values: Variables): string;
  html(values: Variables): string;
}

/** A template job that can never render, such as one missing a variable. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const templates: Record<TemplateName, EmailTemplate> = {
  [EmailTemplates.tournamentStarted]: {
    variables: ['tournamentName', 'startsAt'],
    subject: (v) => `Tournament ${v.tournamentName} has started`,
    text: (v) => `The tournament ${v.tournamentName} started at ${v.startsAt}. Good luck!\n`,
    html: (v) =>
      `<p>The tournament <strong>${escapeHtml(v.tournamentName)}</strong> started at ${escapeHtml(v.startsAt)}.</p><p>Good luck!</p>`,
  },
  [EmailTemplates.mapCompleted]: {
    variables: ['mapName', 'result'],
    subject: (v) => `Map ${v.mapName} is complete`,
    text: (v) => `The map ${v.mapName} has been played to the end. Result: ${v.result}\n`,
    html: (v) =>
      `<p>The map <strong>${escapeHtml(v.mapName)}</strong> has been played to the end.</p><p>Result: ${escapeHtml(v.result)}</p>`,
  },
};

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Renders template `name` with `variables`. Throws `TemplateError` naming every missing variable. */
export function renderEmailTemplate(name: TemplateName, variables: Variables = {}): RenderedEmail {
  const template = templates[name];
  const missing = template.variables.filter((variable) => variables[variable] === undefined);
  if (missing.length > 0) {
    throw new TemplateError(`Template "${name}" is missing variables: ${missing.join(', ')}`);
  }
  return { subject: template.subject(variables), text: template.text(variables), html: template.html(variables) };
}

function escapeHtml(value: string | number | undefined): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
