/** Slack identifiers shared by the views we build and the listeners that receive them; keep them stable. */
export const ids = {
  command: '/close-incident',
  closeModal: 'close_incident_modal',
  incidentBlock: 'incident_block',
  incidentInput: 'incident_input',
  noteBlock: 'note_block',
  noteInput: 'note_input',
  dispositionBlock: 'disposition_block',
  dispositionSelect: 'disposition_select',
  previewBlock: 'preview_block',
  confirmBlock: 'confirm_block',
  confirmClose: 'confirm_close',
  cancelClose: 'cancel_close',
  openInD3Block: 'open_in_d3_block',
  openInD3: 'open_in_d3',
} as const;
