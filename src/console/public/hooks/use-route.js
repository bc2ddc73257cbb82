// @ts-check
import { useEffect, useState } from 'preact/hooks';

/** The location hash ("#/" when empty), following every hashchange: the console's route. */
export function useRoute() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const onChange = () => setHash(location.hash || '#/');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}
