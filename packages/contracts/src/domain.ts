/** States of a tournament. It is created `scheduled` and becomes `active` at its start time. */
export const TournamentStatuses = {
  scheduled: 'scheduled',
  active: 'active',
  finished: 'finished',
} as const;

export type TournamentStatus = (typeof TournamentStatuses)[keyof typeof TournamentStatuses];

export const tournamentStatuses = Object.values(TournamentStatuses);

/** States of a map. */
export const MapStatuses = {
  pending: 'pending',
  completed: 'completed',
} as const;

export type MapStatus = (typeof MapStatuses)[keyof typeof MapStatuses];

/** Names of the processed variants of a map image, with their bounding box in pixels. */
export const ImageVariants = {
  thumbnail: { name: 'thumbnail', maxSize: 256 },
  large: { name: 'large', maxSize: 1024 },
} as const;

export type ImageVariantName = (typeof ImageVariants)[keyof typeof ImageVariants]['name'];

export const imageVariantNames = Object.values(ImageVariants).map((variant) => variant.name) as ImageVariantName[];
