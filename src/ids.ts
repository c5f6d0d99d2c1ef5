/** Slack identifiers shared by the views we build and the listeners that receive them; keep them stable. */
export const ids = {
  command: '/close-incident',
  closeModal: 'close_incident_modal',
  incidentBlock: 'incident_block',
  incidentInput: 'incident_input',
  noteBlock: 'note_block',
  noteInput: 'note_input',
} as const;
