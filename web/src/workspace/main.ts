import { createApp } from 'vue';
import '@/shared/base.css';
import { i18n } from '@/shared/i18n';
import App from './App.vue';
import { router } from './router';
import { onSessionExpired } from './session';

onSessionExpired(() => {
  if (router.currentRoute.value.name !== 'login') void router.replace({ name: 'login' });
});

createApp(App).use(i18n).use(router).mount('#app');
