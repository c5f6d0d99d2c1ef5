/** Slack identifiers shared by the views we build and the listeners that receive them; keep them stable. */
export const ids = {
  command: '/close-incident',
  closeModal: 'close_incident_modal',
  incidentBlock: 'incident_block',
  incidentInput: 'incident_input',
  noteBlock: 'note_block',
  noteInput: 'note_input',
  /** The "Close incident" message shortcut (manifest.yml features.shortcuts). */
  messageShortcut: 'close_incident_message',
  /** App Home's "Close an incident" button. */
  homeCloseButton: 'home_close_incident',
  /** The modal's channel picker (opened from App Home). */
  channelBlock: 'summary_channel_block',
  channelInput: 'summary_channel_input',
  dispositionBlock: 'disposition_block',
  dispositionSelect: 'disposition_select',
  previewBlock: 'preview_block',
  confirmBlock: 'confirm_block',
  confirmClose: 'confirm_close',
  cancelClose: 'cancel_close',
  openInD3Block: 'open_in_d3_block',
  openInD3: 'open_in_d3',
} as const;
