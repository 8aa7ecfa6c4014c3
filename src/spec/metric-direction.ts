/**
 * Which way a metric of a command trial gets better cannot be known (it declares nothing), and the default
 * mode, min, is right for losses and errors. A name that reads as a score is the case where that default
 * would call the worst trial best, so such a metric needs its mode written out.
 *
 * The words: the higher-is-better metrics of scikit-learn's scorers (accuracy, precision, recall, f1, auc,
 * average precision, r2, jaccard, balanced accuracy), of ranking, language and vision work (map, ndcg, mrr,
 * hit rate, bleu, rouge, meteor, iou, dice, psnr, ssim), of reinforcement learning (reward, return), and the
 * generic score, fitness, likelihood, correlation. Matched as whole words of the name (val_acc, eval/f1_macro,
 * valAccuracy, recall@10), so accumulated_loss is not taken for an accuracy. A false alarm costs one line
 * (`mode: min`); a miss would silently minimise a score, so the list errs on the wide side.
 */
const HIGHER_IS_BETTER = new Set([
  'acc', 'accuracy', 'top1', 'top5', 'auc', 'auroc', 'roc', 'f1', 'fscore', 'fbeta', 'precision', 'recall',
  'sensitivity', 'specificity', 'r2', 'jaccard', 'kappa', 'mcc', 'map', 'ap', 'ndcg', 'mrr', 'hit', 'hits',
  'hitrate', 'bleu', 'rouge', 'meteor', 'chrf', 'iou', 'miou', 'dice', 'psnr', 'ssim', 'reward', 'return',
  'score', 'fitness', 'likelihood', 'loglik', 'elbo', 'corr', 'correlation', 'pearson', 'spearman',
]);

/** The word of `metric` that reads as higher-is-better, or null. */
export function scoreWord(metric: string): string | null {
  const split = (s: string): string[] => s.toLowerCase().split(/[^a-z0-9]+/);
  // camelCase is split (valAcc), but an acronym in capitals is one word too (mAP); bleu4 is bleu.
  const words = [...split(metric.replace(/([a-z0-9])([A-Z])/g, '$1_$2')), ...split(metric)];
  for (const w of words) {
    for (const candidate of [w, w.replace(/\d+$/, '')]) if (HIGHER_IS_BETTER.has(candidate)) return candidate;
  }
  return null;
}
