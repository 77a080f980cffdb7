import type { Label } from '../../../../protocol/taxonomy.js';
import type { KioskBon } from '../../kiosk-types.js';
import { act } from './actions.js';
import { api, type OpenBonBody } from './api.js';
import { button, h } from '../../../../web-kit/dom.js';
import { openModal, sheetHead, type Modal } from './modal.js';
import { active, app, by, label, labelOf, t } from './store.js';

type Step = 'collectType' | 'district' | 'destination' | 'partner' | 'comment';

interface Choice {
  id: string;
  label: Label;
}

const STEP_TITLE = {
  collectType: 'wizard.collectType',
  district: 'wizard.district',
  destination: 'wizard.destination',
  partner: 'wizard.partner',
  comment: 'wizard.comment',
} as const;

/** Big buttons, one per choice; the one already picked (after « Retour ») is marked. */
function choiceGrid(prefix: string, choices: Choice[], picked: string | undefined, onPick: (id: string) => void): HTMLElement {
  return h(
    'div',
    { class: 'choices' },
    ...choices.map((c) =>
      button({ class: 'btn btn-choice', 'data-testid': `${prefix}-${c.id}`, 'aria-pressed': String(c.id === picked) }, label(c.label, c.id), () => onPick(c.id)),
    ),
  );
}

/**
 * « Nouveau bon d'apport »: type de collecte → provenance (when the site lists districts) → commentaire;
 * « Nouvelle sortie »: destination → filière (when the destination needs one) → commentaire. Then POST.
 */
export function openBonWizard(direction: 'in' | 'out'): void {
  const taxonomy = app.kiosk?.taxonomy;
  if (!taxonomy) return;
  const draft: Omit<OpenBonBody, 'by'> & { comment: string } = { direction, comment: '' };
  const history: Step[] = [];
  let step: Step = direction === 'in' ? 'collectType' : 'destination';
  const districts = active(taxonomy.districts);
  const partners = active(taxonomy.partners);

  const go = (next: Step) => {
    history.push(step);
    step = next;
    modal.repaint();
  };
  const back = () => {
    const previous = history.pop();
    if (!previous) return modal.close();
    step = previous;
    modal.repaint();
  };

  const body = (): (Node | string)[] => {
    switch (step) {
      case 'collectType':
        return [
          choiceGrid('collect-type', active(taxonomy.collectTypes), draft.collectType, (id) => {
            draft.collectType = id;
            go(districts.length ? 'district' : 'comment');
          }),
        ];
      case 'district':
        return [
          ...(taxonomy.districtRequired ? [h('p', { class: 'sheet-detail' }, t('wizard.districtRequired'))] : []),
          choiceGrid('district', districts, draft.district, (id) => {
            draft.district = id;
            go('comment');
          }),
          ...(taxonomy.districtRequired
            ? []
            : [
                button({ class: 'btn btn-big btn-secondary btn-skip', 'data-testid': 'district-skip' }, t('wizard.skip'), () => {
                  delete draft.district;
                  go('comment');
                }),
              ]),
        ];
      case 'destination':
        return [
          choiceGrid('destination', active(taxonomy.destinations), draft.destination, (id) => {
            draft.destination = id;
            const needsPartner = taxonomy.destinations.find((d) => d.id === id)?.needsPartner ?? false;
            if (!needsPartner) delete draft.partner;
            go(needsPartner ? 'partner' : 'comment');
          }),
        ];
      case 'partner':
        return [
          choiceGrid('partner', partners, draft.partner, (id) => {
            draft.partner = id;
            go('comment');
          }),
        ];
      case 'comment': {
        const area = h('textarea', { class: 'comment-input', 'data-testid': 'bon-comment', maxlength: '500', rows: '3' });
        area.value = draft.comment;
        area.addEventListener('input', () => (draft.comment = area.value));
        return [
          area,
          button({ class: 'btn btn-huge btn-primary', 'data-testid': 'bon-open-confirm' }, t('wizard.confirm'), () => void submit()),
        ];
      }
    }
  };

  const picked = (): string =>
    [
      labelOf('collectTypes', draft.collectType),
      labelOf('districts', draft.district),
      labelOf('destinations', draft.destination),
      labelOf('partners', draft.partner),
    ]
      .filter(Boolean)
      .join(' · ');

  const submit = async () => {
    const comment = draft.comment.trim();
    const { comment: _typed, ...fields } = draft;
    const r = await act('open-bon', () => api.openBon({ ...fields, ...(comment ? { comment } : {}), ...by() }));
    if (r?.ok || (r && !r.ok && r.refusal.error === 'bon-not-open')) modal.close();
  };

  const modal: Modal = openModal({
    testid: 'bon-wizard',
    closeWhen: (s) => s.bon !== null,
    paint: () => [
      sheetHead(`${t(direction === 'in' ? 'newBonIn' : 'newBonOut')} — ${t(STEP_TITLE[step])}`, () => modal, picked()),
      h('div', { class: 'sheet-body' }, ...body()),
      h('div', { class: 'sheet-actions sheet-actions-start' }, button({ class: 'btn btn-big btn-secondary', 'data-testid': 'wizard-back' }, `‹ ${t('back')}`, back)),
    ],
  });
}

/** « Modifier »: the open bon's provenance (incoming bons, when the site lists districts) and comment. */
export function openBonEditor(bon: KioskBon): void {
  const taxonomy = app.kiosk?.taxonomy;
  if (!taxonomy) return;
  const districts = bon.direction === 'in' ? active(taxonomy.districts) : [];
  let district = bon.district;
  let comment = bon.comment ?? '';

  const save = async () => {
    const patch: { district?: string | null; comment: string | null } = { comment: comment.trim() ? comment.trim() : null };
    if (districts.length && district !== bon.district) patch.district = district ?? null;
    const r = await act('edit-bon', () => api.updateBon(bon.bonId, patch));
    if (r?.ok) modal.close();
  };

  const modal: Modal = openModal({
    testid: 'bon-editor',
    closeWhen: (s) => s.bon?.bonId !== bon.bonId,
    paint: () => {
      const area = h('textarea', { class: 'comment-input', 'data-testid': 'edit-comment', maxlength: '500', rows: '3' });
      area.value = comment;
      area.addEventListener('input', () => (comment = area.value));
      const districtPart = districts.length
        ? [
            h('h3', { class: 'sheet-section' }, t('edit.district')),
            choiceGrid('edit-district', districts, district, (id) => {
              district = id;
              modal.repaint();
            }),
            ...(taxonomy.districtRequired
              ? []
              : [
                  button({ class: 'btn btn-choice btn-secondary', 'data-testid': 'edit-district-none', 'aria-pressed': String(!district) }, t('edit.noDistrict'), () => {
                    district = undefined;
                    modal.repaint();
                  }),
                ]),
          ]
        : [];
      return [
        sheetHead(`${t('edit.title')} — ${t('bon.number', { number: bon.number })}`, () => modal),
        h('div', { class: 'sheet-body' }, ...districtPart, h('h3', { class: 'sheet-section' }, t('edit.comment')), area),
        h('div', { class: 'sheet-actions' }, button({ class: 'btn btn-big btn-primary', 'data-testid': 'edit-save' }, t('edit.save'), () => void save())),
      ];
    },
  });
}
