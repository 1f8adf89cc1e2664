import { createApp } from 'vue';
import '@/shared/base.css';
import { i18n } from '@/shared/i18n';
import WidgetApp from './WidgetApp.vue';

createApp(WidgetApp).use(i18n).mount('#app');
